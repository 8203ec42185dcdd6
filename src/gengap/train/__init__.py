"""One training loop for every suite: schedules, stopping rules and the loop itself."""
