import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ikmrelief.settings")
# Web requests: no SQL statement outlives gunicorn's 30 s worker timeout.
os.environ.setdefault("DATABASE_STATEMENT_TIMEOUT", "28")
application = get_wsgi_application()
