"""LTI 1.3 on the tool side, through pylti1p3: the tool's key pair and JWKS,
the library's request/cookie/session adapters, the tool configuration read
from the registered platforms, and the launch, deep-linking, AGS and NRPS
calls. The services (grader.services.lti_*) and the pages (grader.web.lti)
use these; nothing here knows HTTP routes."""
