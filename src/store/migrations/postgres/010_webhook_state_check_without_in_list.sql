-- SQLite only: there, webhook_events.state IN ('PENDING', 'DELIVERED', 'FAILED') built a
-- temporary b-tree on every insert and change of state, and migration 010 rebuilds the table with
-- the check written as comparisons. PostgreSQL evaluates the IN list as = ANY of a constant
-- array, at no such cost, so its schema stays as it is; this migration keeps the two engines'
-- version numbers in step.
SELECT 1;
