"""Running a course, as pure domain code: the rules (grader.courses.rules),
reading a roster (roster) and writing a gradebook (gradebook_csv). The
services in grader.services load and store what these decide."""
