-- docker-compose only (the postgres image runs this once, on an empty volume). One database per
-- service: services/kernel/settings.py EVENT_SOURCED_SERVICES + READ_MODEL_DATABASE, named as
-- Settings.dsn() names them. The local runner creates the same ones (infra/postgres.py);
-- tests/integration/test_compose_matches_runner.py checks that the lists agree.
CREATE DATABASE gb_membership;
CREATE DATABASE gb_secondment;
CREATE DATABASE gb_investment;
CREATE DATABASE gb_partners;
CREATE DATABASE gb_workers;
CREATE DATABASE gb_auditlog;
CREATE DATABASE gb_gateway;
