"""The Celery workers: grade submissions, deliver webhooks, sweep the stuck."""
