-- Job events are found by id only: the index on (customer, id) cost every claim and completion an
-- index insert per job — a few per cent of the one writer's drain — to speed up only a customer's
-- stream resuming with Last-Event-ID, which reads the events after its cursor once, in id order,
-- keeping its customer's (a scan bounded by the events' retention).
DROP INDEX job_events_customer;
