"""What both HTTP edges share: the JSON API (grader.api) and the pages
(grader.web) each import this package and the services, never each other;
grader/app.py alone assembles the two into one application."""
