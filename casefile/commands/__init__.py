"""Staff commands of `casefile`, one module per topic, loaded lazily by casefile.cli."""
