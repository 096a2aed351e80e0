"""Browser pages of the workflow (the lifecycle): the agreement page's coordination and history
tabs and its lifecycle actions, the work queues, the dashboards, generated PDFs and
notifications, the import of existing agreements, the calendar and search. One module per page family;
every write goes through workflow.services (or the agreements services for records)."""
