-- Run once by the postgres image when its volume is empty
-- (/docker-entrypoint-initdb.d). Each engine replica keeps its own read model
-- in its own database: two replicas projecting into one database would both
-- write the same rows and checkpoints.
CREATE DATABASE landrelease1;
CREATE DATABASE landrelease2;
