-- Concurrency caps (see docs/ARCHITECTURE.md, "Concurrency caps"): (queue, '') caps a queue for
-- every customer, (queue, customer) one customer's queue, ('', customer) all of a customer's
-- queues. Claims count the running jobs under them; writes are serialized here, so the count a
-- claim reads is exact.
CREATE TABLE concurrency_caps (
    queue TEXT NOT NULL,
    customer TEXT NOT NULL,
    max_running INTEGER NOT NULL CHECK (max_running > 0),
    PRIMARY KEY (queue, customer)
) WITHOUT ROWID;
-- A cap's count reads the running jobs off jobs_running_lease: they are few (at most what the
-- workers run at once). An index of its own, (customer, queue) of the running jobs, halved the
-- drain (BENCHMARKS.md): every claim and completion would pay for it, capped or not.

-- Backlog quotas: the most jobs a customer may have waiting (NULL: the global setting). An
-- enqueue counts the customer's waiting jobs share by share, off the claim-order index.
ALTER TABLE customers ADD COLUMN backlog_quota INTEGER CHECK (backlog_quota > 0);
CREATE INDEX queue_shares_by_customer ON queue_shares (customer);
