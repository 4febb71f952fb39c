"""The web portal: the public reference site and the members' newsroom, rendered on the server.

Layout (the data flows from the hub's read side into templates):

    languages.py   the 8 interface languages: direction, digits, time zone, Accept-Language
    catalog.py     interface strings, i18n/<lang>/<area>.json, one file per area of the site
    dates.py       dates and numbers as each language writes them (Solar Hijri beside Gregorian in fa)
    render.py      Jinja2 templates; every page is also its context as JSON (`page.json`)
    security.py    Content-Security-Policy and the other response headers; agency HTML sanitising
    routing.py     `/{lang}/...` routes, the `.json` twin of each page, the language choice
    templates/     one template per page, extending base.html
    static/        portal.css (logical properties, so RTL mirrors by itself), portal.js (optional)

Pages work without JavaScript; portal.js only adds live updates and conveniences.
"""
