-- Fair claiming between customers (see docs/ARCHITECTURE.md, "Fair claiming"). A queue_shares row
-- is one customer's share of one queue: `pass` is the virtual time of its next job (a claim takes
-- the shares with the smallest pass and adds 1/weight per job it takes), `ready_at` (ms) a lower
-- bound on the run_at of its waiting jobs (NULL: none is waiting). Writes are serialized here, so
-- the version PostgreSQL keeps against a racing claim is not needed.
ALTER TABLE customers ADD COLUMN weight REAL CHECK (weight > 0);  -- NULL: 1

CREATE TABLE queue_shares (
    queue TEXT NOT NULL,
    customer TEXT NOT NULL,
    pass REAL NOT NULL DEFAULT 0,
    ready_at INTEGER,
    PRIMARY KEY (queue, customer)
) WITHOUT ROWID;
-- In claim order, ties by customer: a claim reads its candidates straight off the index,
-- however many shares are tied (1,000 customers arriving together all start at one pass).
CREATE INDEX queue_shares_by_pass ON queue_shares (queue, pass, customer) WHERE ready_at IS NOT NULL;

-- Claims read a share's waiting jobs in its claim order.
DROP INDEX jobs_claim_order;
CREATE INDEX jobs_share_claim_order ON jobs (queue, customer, priority, run_at, id)
    WHERE state IN ('scheduled', 'available', 'retryable');

INSERT INTO queue_shares (queue, customer, ready_at)
    SELECT queue, customer, min(run_at) FROM jobs
    WHERE state IN ('scheduled', 'available', 'retryable')
    GROUP BY queue, customer;

-- Every way a job becomes waiting goes through these two triggers — an enqueue, or a job made
-- waiting again or sooner (a retry, a release, a rescue, a replay): the share's ready_at moves
-- back to the job's run_at, and a share that had nothing waiting joins at the queue's current
-- virtual time (the smallest pass among shares waiting), so that it neither waits behind the
-- others' backlog nor claims ahead for the time it was idle. A share already waiting costs two
-- lookups by key.
CREATE TRIGGER jobs_inserted AFTER INSERT ON jobs
    WHEN NEW.state IN ('scheduled', 'available', 'retryable')
BEGIN
    UPDATE queue_shares SET ready_at = NEW.run_at
    WHERE queue = NEW.queue AND customer = NEW.customer AND ready_at > NEW.run_at;
    INSERT INTO queue_shares (queue, customer, pass, ready_at)
    SELECT NEW.queue, NEW.customer,
           coalesce((SELECT min(pass) FROM queue_shares WHERE queue = NEW.queue AND ready_at IS NOT NULL), 0),
           NEW.run_at
    WHERE NOT EXISTS (
        SELECT 1 FROM queue_shares WHERE queue = NEW.queue AND customer = NEW.customer AND ready_at IS NOT NULL)
    ON CONFLICT (queue, customer) DO UPDATE SET pass = max(pass, excluded.pass), ready_at = excluded.ready_at;
END;

CREATE TRIGGER jobs_waiting AFTER UPDATE OF state, run_at ON jobs
    WHEN NEW.state IN ('scheduled', 'available', 'retryable')
     AND (OLD.state NOT IN ('scheduled', 'available', 'retryable') OR NEW.run_at < OLD.run_at)
BEGIN
    UPDATE queue_shares SET ready_at = NEW.run_at
    WHERE queue = NEW.queue AND customer = NEW.customer AND ready_at > NEW.run_at;
    INSERT INTO queue_shares (queue, customer, pass, ready_at)
    SELECT NEW.queue, NEW.customer,
           coalesce((SELECT min(pass) FROM queue_shares WHERE queue = NEW.queue AND ready_at IS NOT NULL), 0),
           NEW.run_at
    WHERE NOT EXISTS (
        SELECT 1 FROM queue_shares WHERE queue = NEW.queue AND customer = NEW.customer AND ready_at IS NOT NULL)
    ON CONFLICT (queue, customer) DO UPDATE SET pass = max(pass, excluded.pass), ready_at = excluded.ready_at;
END;

-- pauses stop claims: (queue, '') a queue for every customer, (queue, customer) one customer's
-- queue, ('', customer) all of a customer's queues. paused_at in ms.
CREATE TABLE pauses (
    queue TEXT NOT NULL,
    customer TEXT NOT NULL,
    paused_at INTEGER NOT NULL,
    PRIMARY KEY (queue, customer)
) WITHOUT ROWID;
