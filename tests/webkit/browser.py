#!/usr/bin/python3
"""A WebKitGTK browser with an on-disk profile, for WebKitWebDriver.

WebKitWebDriver's default browser (MiniBrowser --automation) keeps website
data in memory only; the tests need it on disk (to scan WebKit's IndexedDB
files, and to reopen a profile after a renderer was killed). The driver
starts this script through 'webkitgtk:browserOptions' { binary, args } with
WEBKIT_INSPECTOR_SERVER set; a context that allows automation then gets
'automation-started', and every window the session asks for is a web view
made here.

  browser.py --profile DIR [--origin-quota BYTES] [--width W --height H]

--profile       website data (IndexedDB: DIR/databases/indexeddb/v1/...) and cache
--origin-quota  per-origin storage quota in bytes. WebKitGTK 2.50 has no
                byte setting, only 'origin-storage-ratio' (construct-only, a
                share of the volume holding the data directory): the ratio is
                computed from statvfs of DIR.

Run by /usr/bin/python3 (Debian's python3-gi, gir1.2-webkit2-4.1), not
whatever python3 is first on PATH.
"""
import argparse
import os
import signal

import gi

gi.require_version('Gtk', '3.0')
gi.require_version('WebKit2', '4.1')
from gi.repository import GLib, Gtk, WebKit2  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument('--profile', required=True)
parser.add_argument('--origin-quota', type=int)
parser.add_argument('--width', type=int, default=1280)
parser.add_argument('--height', type=int, default=900)
options, _ = parser.parse_known_args()  # the driver may pass its own arguments

profile = os.path.abspath(options.profile)
os.makedirs(profile, exist_ok=True)
settings = {
    'base_data_directory': os.path.join(profile, 'data'),
    'base_cache_directory': os.path.join(profile, 'cache'),
}
if options.origin_quota:
    volume = os.statvfs(profile)
    settings['origin_storage_ratio'] = options.origin_quota / (volume.f_blocks * volume.f_frsize)
manager = WebKit2.WebsiteDataManager(**settings)
context = WebKit2.WebContext(website_data_manager=manager)
context.set_automation_allowed(True)

windows = []


def close_window(window):
    windows.remove(window)
    window.destroy()
    if not windows:
        Gtk.main_quit()


def create_web_view(_session):
    view = WebKit2.WebView(web_context=context, is_controlled_by_automation=True)
    window = Gtk.Window()
    window.set_default_size(options.width, options.height)
    window.add(view)
    window.show_all()
    windows.append(window)
    view.connect('close', lambda _view: close_window(window))
    return view


def automation_started(_context, session):
    info = WebKit2.ApplicationInfo()
    info.set_name('enveil-webkit-test')
    info.set_version(WebKit2.get_major_version(), WebKit2.get_minor_version(), WebKit2.get_micro_version())
    session.set_application_info(info)
    session.connect('create-web-view', create_web_view)


context.connect('automation-started', automation_started)
# A SIGTERM from the test's clean-up ends the main loop, so WebKit shuts its
# network process (which owns the IndexedDB files) down as on a normal quit.
GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, Gtk.main_quit)
Gtk.main()
