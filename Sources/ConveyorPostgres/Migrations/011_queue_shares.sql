-- Fair claiming between customers (see docs/ARCHITECTURE.md, "Fair claiming"). A queue_shares row
-- is one customer's share of one queue: `pass` is the virtual time of its next job (a claim takes
-- the shares with the smallest pass and adds 1/weight per job it takes), `ready_at` a lower bound
-- on the run_at of its waiting jobs (NULL: none is waiting), `version` counts the times jobs
-- became waiting, so that a claim that found nothing does not overwrite a newer ready_at.
ALTER TABLE customers ADD COLUMN weight double precision CHECK (weight > 0);  -- NULL: 1

CREATE TABLE queue_shares (
    queue text NOT NULL,
    customer text NOT NULL,
    pass double precision NOT NULL DEFAULT 0,
    ready_at timestamptz,
    version bigint NOT NULL DEFAULT 0,
    -- Customer first, so that no index but queue_shares_by_pass starts with the queue: a planner
    -- without statistics yet would otherwise read a queue's shares off the key and sort them all
    -- (6 ms a claim with 1,000 customers, measured) instead of walking them in pass order.
    PRIMARY KEY (customer, queue)
);
-- In claim order, ties by customer: a claim reads its candidates straight off the index,
-- however many shares are tied (1,000 customers arriving together all start at one pass).
CREATE INDEX queue_shares_by_pass ON queue_shares (queue, pass, customer) WHERE ready_at IS NOT NULL;

-- Claims read a share's waiting jobs in its claim order, and counts and quotas count them (state
-- included for that). The counts index of 001 gives way to one of the finished and running jobs
-- only: both lead with the customer and the queue, and a planner without statistics of a
-- customer yet (a new customer's burst, a fresh database) took the counts index and sorted the
-- customer's whole backlog for every claim (20 ms a claim behind 20,000 jobs, measured) instead
-- of taking its few jobs off this one in claim order.
DROP INDEX jobs_claim_order;
DROP INDEX jobs_customer_queue_state;
CREATE INDEX jobs_share_claim_order ON jobs (customer, queue, priority, run_at, id) INCLUDE (state)
    WHERE state IN ('scheduled', 'available', 'retryable');
CREATE INDEX jobs_customer_queue_state ON jobs (customer, queue, state)
    WHERE state NOT IN ('scheduled', 'available', 'retryable');

INSERT INTO queue_shares (queue, customer, ready_at)
    SELECT queue, customer, min(run_at) FROM jobs
    WHERE state IN ('scheduled', 'available', 'retryable')
    GROUP BY queue, customer;

-- conveyor_share_waiting records that jobs of (queue, customer) became waiting, runnable from
-- `ready`: the share's ready_at moves back to it, and a share that had nothing waiting joins at
-- the queue's current virtual time (the smallest pass among shares waiting), so that it neither
-- waits behind the others' backlog nor claims ahead for the time it was idle.
CREATE FUNCTION conveyor_share_waiting(share_queue text, share_customer text, ready timestamptz)
RETURNS void
LANGUAGE sql AS $$
    INSERT INTO queue_shares AS share (queue, customer, pass, ready_at, version)
    VALUES (share_queue, share_customer,
            coalesce((SELECT min(pass) FROM queue_shares WHERE queue = share_queue AND ready_at IS NOT NULL), 0),
            ready, 1)
    ON CONFLICT (customer, queue) DO UPDATE SET
        pass = CASE WHEN share.ready_at IS NULL THEN greatest(share.pass, EXCLUDED.pass) ELSE share.pass END,
        ready_at = least(coalesce(share.ready_at, EXCLUDED.ready_at), EXCLUDED.ready_at),
        version = share.version + 1
$$;

-- Every way a job becomes waiting goes through these two triggers: an enqueue (once per
-- statement and share, however many rows), and a job made waiting again or sooner (a retry, a
-- release, a rescue, a replay).
CREATE FUNCTION conveyor_jobs_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- In the order claims lock share rows, so that the two never deadlock.
    PERFORM conveyor_share_waiting(queue, customer, min(run_at)) FROM new_jobs
    WHERE state IN ('scheduled', 'available', 'retryable')
    GROUP BY queue, customer ORDER BY queue, customer;
    RETURN NULL;
END
$$;
CREATE TRIGGER jobs_inserted AFTER INSERT ON jobs
    REFERENCING NEW TABLE AS new_jobs FOR EACH STATEMENT EXECUTE FUNCTION conveyor_jobs_inserted();

CREATE FUNCTION conveyor_job_waiting() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM conveyor_share_waiting(NEW.queue, NEW.customer, NEW.run_at);
    RETURN NULL;
END
$$;
CREATE TRIGGER jobs_waiting AFTER UPDATE ON jobs FOR EACH ROW
    WHEN (NEW.state IN ('scheduled', 'available', 'retryable')
          AND (OLD.state NOT IN ('scheduled', 'available', 'retryable') OR NEW.run_at < OLD.run_at))
    EXECUTE FUNCTION conveyor_job_waiting();

-- pauses stop claims: (queue, '') a queue for every customer, (queue, customer) one customer's
-- queue, ('', customer) all of a customer's queues.
CREATE TABLE pauses (
    queue text NOT NULL,
    customer text NOT NULL,
    paused_at timestamptz NOT NULL,
    PRIMARY KEY (queue, customer)
);
