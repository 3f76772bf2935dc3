import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
application = get_wsgi_application()
# Everything loaded so far (Django, the apps, the URLs) lives as long as the process: leave it
# out of the collector's full passes, which otherwise walk all of it every time a burst of
# short-lived objects (a list page's model instances) sets one off.
gc.freeze()
