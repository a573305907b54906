-- wrk's request for bench/wrk: a single-job enqueue body, with the customer key in CONVEYOR_KEY
-- (none for the bare insert, which asks for none). wrk counts answers other than 2xx/3xx itself.
wrk.method = "POST"
wrk.body = '{"queue":"bench-wrk","type":"noop","payload":{"n":1}}'
wrk.headers["Content-Type"] = "application/json"
local key = os.getenv("CONVEYOR_KEY")
if key ~= nil and key ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. key
end
