"""What others may use of the audit log: its entry format (the verifier's too), events, routes and definition."""

#: The audit log's name among the services (its database gb_auditlog, its topic gb.auditlog.events).
NAME = "auditlog"
