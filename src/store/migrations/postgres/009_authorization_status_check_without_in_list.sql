-- SQLite only: there, authorizations.status IN ('OPEN', 'CLOSED', 'REVERSED', 'EXPIRED') built a
-- temporary b-tree on every insert and update of the table, and migration 009 rebuilds the table
-- with the check written as comparisons. PostgreSQL evaluates the IN list as = ANY of a constant
-- array, at no such cost, so its schema stays as it is; this migration keeps the two engines'
-- version numbers in step.
SELECT 1;
