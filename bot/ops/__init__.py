"""Running the services: the process supervisor (make run) and memory handling."""
