-- Concurrency caps (see docs/ARCHITECTURE.md, "Concurrency caps"): (queue, '') caps a queue for
-- every customer, (queue, customer) one customer's queue, ('', customer) all of a customer's
-- queues.
CREATE TABLE concurrency_caps (
    queue text NOT NULL,
    customer text NOT NULL,
    max_running integer NOT NULL CHECK (max_running > 0),
    PRIMARY KEY (queue, customer)
);
-- A cap's count reads the running jobs off jobs_running_lease (they are few: at most what the
-- workers run at once), or one customer's queue off jobs_customer_queue_state. No index of its
-- own: every claim and completion would pay for it, capped or not.

-- conveyor_running counts the jobs running under the cap of (cap_queue, cap_customer), '' for
-- every. Each claim that counts against any cap takes the one lock first and holds it to its
-- commit; the count then runs on a fresh snapshot (a VOLATILE function's query takes its own),
-- so it sees every job the claims before it started — a claim is one statement, whose own
-- snapshot would miss them. A single lock, not one per cap: a claim's caps are found as it goes,
-- and locks taken in that order by two claims could deadlock.
CREATE FUNCTION conveyor_running(cap_queue text, cap_customer text) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    running bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('conveyor-concurrency-caps', 0));
    IF cap_queue = '' THEN
        SELECT count(*) INTO running FROM jobs WHERE state = 'running' AND customer = cap_customer;
    ELSIF cap_customer = '' THEN
        SELECT count(*) INTO running FROM jobs WHERE state = 'running' AND queue = cap_queue;
    ELSE
        SELECT count(*) INTO running FROM jobs
        WHERE state = 'running' AND customer = cap_customer AND queue = cap_queue;
    END IF;
    RETURN running;
END
$$;

-- Backlog quotas: the most jobs a customer may have waiting (NULL: the global setting).
ALTER TABLE customers ADD COLUMN backlog_quota bigint CHECK (backlog_quota > 0);

-- conveyor_backlog_room is how many more jobs `customer_name` may have waiting under its quota
-- (its own, else `default_quota`; NULL: no quota). Enqueues of one customer under a quota take
-- turns on the customer's lock, held to their commit, and count on a fresh snapshot (as above),
-- off the claim-order index (which leads with the customer), stopping one past the quota.
CREATE FUNCTION conveyor_backlog_room(customer_name text, default_quota bigint) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    quota bigint;
    waiting bigint;
BEGIN
    SELECT coalesce(backlog_quota, default_quota) INTO quota FROM customers WHERE name = customer_name;
    IF NOT FOUND THEN
        quota := default_quota;
    END IF;
    IF quota IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('conveyor-backlog:' || customer_name, 0));
    SELECT count(*) INTO waiting FROM (
        SELECT 1 FROM jobs
        WHERE customer = customer_name AND state IN ('scheduled', 'available', 'retryable')
        LIMIT quota + 1) AS counted;
    RETURN quota - waiting;
END
$$;

-- Statistics soon after a burst: the default — analyze after 10% of the table changed — would
-- leave a new customer's burst of 500,000 jobs unseen in a table of ten million, and plans
-- guessed without them (see 011) cost more than they need to.
ALTER TABLE jobs SET (autovacuum_analyze_scale_factor = 0.01, autovacuum_analyze_threshold = 1000);
ALTER TABLE queue_shares SET (autovacuum_analyze_scale_factor = 0.01, autovacuum_analyze_threshold = 1000);
