import time

time.sleep(60)  # never gets to serve: the run's deadline comes first
app = None
