"""A local S3 and STS endpoint for tests/object_storage.rs: moto's server over HTTPS on loopback.

    s3_server.py PORT CERT KEY AUTH_LOG

Real S3 is HTTPS and so is STS (object_store refuses plain HTTP for the web-identity exchange),
so the test serves both with its own CA. Two additions to `moto_server`, both at the WSGI edge:
- moto routes an unsigned request to STS only when its Action is in the body; object_store
  (like the AWS SDKs' query protocol) may send AssumeRoleWithWebIdentity's parameters in the
  query string, so such a request has them moved into a form body before moto sees it;
- the access key id that signed each request is appended to AUTH_LOG, so the test can tell
  temporary credentials from STS (ASIA...) from static ones.
"""

import io
import re
import sys

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

CREDENTIAL = re.compile(r"Credential=([A-Z0-9a-z]+)/")


def edge(app, auth_log):
    def handle(environ, start_response):
        query = environ.get("QUERY_STRING", "")
        empty = not int(environ.get("CONTENT_LENGTH") or 0)
        if environ["REQUEST_METHOD"] == "POST" and "Action=AssumeRoleWithWebIdentity" in query and empty:
            body = query.encode()
            environ.update(
                {
                    "wsgi.input": io.BytesIO(body),
                    "CONTENT_LENGTH": str(len(body)),
                    "CONTENT_TYPE": "application/x-www-form-urlencoded",
                    "QUERY_STRING": "",
                }
            )
        signed = CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        with open(auth_log, "a") as log:
            key = signed.group(1) if signed else "-"
            log.write(f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')} {key}\n")
        return app(environ, start_response)

    return handle


def main():
    port, cert, key, auth_log = sys.argv[1:5]
    app = edge(DomainDispatcherApplication(create_backend_app), auth_log)
    run_simple("127.0.0.1", int(port), app, threaded=True, ssl_context=(cert, key))


if __name__ == "__main__":
    main()
