#!/usr/bin/python3
"""HubSpot sandbox: a local stand-in for the HubSpot CRM API, for tests, demos and benchmarks.

Documentation: tests/sandbox/README.md. Request bodies are validated against the project's own
JSON Schemas (tests/sandbox/schemas, written from HubSpot's public API reference, each citing its
page); with --specs DIR (or $SANDBOX_SPECS_DIR) also against HubSpot's official OpenAPI specs.

Python 3 standard library + Debian python3-jsonschema. Run with /usr/bin/python3.
"""

import argparse
import collections
import datetime
import fnmatch
import json
import os
import random
import re
import signal
import socket
import struct
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jsonschema

PORTAL_ID = 12345678  # the default; --portal-id or POST /_sandbox/config changes it
_PORTAL = [PORTAL_ID]


def portal_id():
    return _PORTAL[0]

MAX_BATCH = 100
MAX_SEARCH_LIMIT = 200
SEARCH_PAGING_CAP = 10000

MSG_BATCH_CAP = ("The maximum number of inputs supported in a batch is 100. "
                 "Please reduce the number of items and try again")
MSG_AUTH = ("Authentication credentials not found. This API supports OAuth 2.0 authentication and "
            "you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")
RATE_MESSAGES = {
    "TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
    "SECONDLY": "You have reached your secondly limit.",
    "DAILY": "You have reached your daily limit.",
}
FAULT_ACTIONS = ("status", "reset", "slow", "truncate", "store_then_status", "store_then_reset",
                 "rate_limit", "echo_auth")

# Object types: canonical plural name -> (objectTypeId, upper-case singular used in messages)
OBJECT_TYPES = {
    "meetings": ("0-47", "MEETING"),
    "contacts": ("0-1", "CONTACT"),
    "companies": ("0-2", "COMPANY"),
    "deals": ("0-3", "DEAL"),
    "tickets": ("0-5", "TICKET"),
}
TYPE_ALIASES = {}
for _name, (_tid, _single) in OBJECT_TYPES.items():
    TYPE_ALIASES[_name] = _name
    TYPE_ALIASES[_tid] = _name
    TYPE_ALIASES[_single.lower()] = _name
TYPE_ALIASES["company"] = "companies"

# meeting -> target: HUBSPOT_DEFINED association type ids (docs/hubspot-api.md)
MEETING_ASSOC_TYPES = {"contacts": 200, "companies": 188, "deals": 212, "tickets": 226}
ASSOC_TYPE_TARGET = {v: k for k, v in MEETING_ASSOC_TYPES.items()}

MEETING_OUTCOMES = ["SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED"]

# Known properties per object type: name -> (type, fieldType, read_only)
DATETIME_PROPS = {"hs_timestamp", "hs_meeting_start_time", "hs_meeting_end_time", "hs_createdate",
                  "hs_lastmodifieddate", "createdate", "lastmodifieddate", "closedate"}


def _props(spec):
    out = {}
    for line in spec.strip().splitlines():
        name, typ, ro = line.split()
        out[name] = (typ, ro == "ro")
    return out


KNOWN_PROPS = {
    "meetings": _props("""
        hs_timestamp datetime rw
        hs_meeting_title string rw
        hubspot_owner_id owner rw
        hs_meeting_body string rw
        hs_internal_meeting_notes string rw
        hs_meeting_external_url string rw
        hs_meeting_location string rw
        hs_meeting_start_time datetime rw
        hs_meeting_end_time datetime rw
        hs_meeting_outcome enumeration rw
        hs_activity_type enumeration rw
        hs_attachment_ids string rw
        hs_attendee_owner_ids string rw
        hs_meeting_location_type enumeration rw
        hs_meeting_source string rw
        hs_meeting_source_id string rw
        hs_meeting_calendar_event_hash string rw
        hs_meeting_change_id string rw
        hs_unique_id string rw
        hs_i_cal_uid string rw
        hs_engagement_source string rw
        hs_engagement_source_id string rw
        hs_createdate datetime rw
        hs_lastmodifieddate datetime ro
        hs_object_id number ro
        hs_object_source string ro
    """),
    "contacts": _props("""
        email email rw
        firstname string rw
        lastname string rw
        phone string rw
        mobilephone string rw
        company string rw
        website string rw
        jobtitle string rw
        lifecyclestage string rw
        hs_lead_status string rw
        hubspot_owner_id owner rw
        address string rw
        city string rw
        state string rw
        zip string rw
        country string rw
        createdate datetime rw
        lastmodifieddate datetime ro
        hs_object_id number ro
        hs_object_source string ro
    """),
    "companies": _props("""
        name string rw
        domain string rw
        website string rw
        phone string rw
        industry string rw
        description string rw
        city string rw
        state string rw
        country string rw
        hubspot_owner_id owner rw
        createdate datetime rw
        hs_lastmodifieddate datetime ro
        hs_object_id number ro
        hs_object_source string ro
    """),
    "deals": _props("""
        dealname string rw
        amount string rw
        dealstage string rw
        pipeline string rw
        closedate datetime rw
        createdate datetime rw
        hs_lastmodifieddate datetime ro
        hs_object_id number ro
    """),
    "tickets": _props("""
        subject string rw
        content string rw
        hs_pipeline string rw
        hs_pipeline_stage string rw
        createdate datetime rw
        hs_lastmodifieddate datetime ro
        hs_object_id number ro
    """),
}
DEFAULT_PROPS = {
    "meetings": ["hs_createdate", "hs_lastmodifieddate", "hs_object_id"],
    "contacts": ["createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"],
    "companies": ["createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"],
    "deals": ["amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate",
              "hs_object_id", "pipeline"],
    "tickets": ["content", "createdate", "hs_lastmodifieddate", "hs_object_id", "hs_pipeline",
                "hs_pipeline_stage", "subject"],
}
CREATED_PROP = {"meetings": "hs_createdate"}
MODIFIED_PROP = {"meetings": "hs_lastmodifieddate", "contacts": "lastmodifieddate"}
# hs_meeting_location_type: the SDK's enum (API.md §3.1). hs_activity_type options are the
# portal's own call and meeting types: none on a fresh portal (--activity-types adds some).
ENUM_OPTIONS = {("meetings", "hs_meeting_outcome"): MEETING_OUTCOMES,
                ("meetings", "hs_meeting_location_type"): ["ADDRESS", "CUSTOM", "PHONE"],
                ("meetings", "hs_activity_type"): []}
# The property groups of a fresh portal (custom properties need an existing group).
DEFAULT_GROUPS = {"meetings": ["engagement", "meetinginformation"],
                  "contacts": ["contactinformation"], "companies": ["companyinformation"],
                  "deals": ["dealinformation"], "tickets": ["ticketinformation"]}
# Scopes a token carries unless --scopes says otherwise.
ALL_SCOPES = ["oauth", "crm.objects.contacts.read", "crm.objects.contacts.write",
              "crm.objects.companies.read", "crm.objects.companies.write",
              "crm.objects.deals.read", "crm.objects.deals.write", "crm.objects.owners.read",
              "crm.schemas.contacts.read", "crm.schemas.contacts.write",
              "crm.schemas.companies.read", "crm.schemas.deals.read", "tickets"]
# Object type -> (objects scope prefix, schemas scope prefix). Meetings use the contacts scopes
# (API.md §7); which schemas scope covers meeting properties is not documented (assumed contacts).
SCOPE_OF = {"meetings": ("crm.objects.contacts", "crm.schemas.contacts"),
            "contacts": ("crm.objects.contacts", "crm.schemas.contacts"),
            "companies": ("crm.objects.companies", "crm.schemas.companies"),
            "deals": ("crm.objects.deals", "crm.schemas.deals"),
            "tickets": ("tickets", "tickets")}
MSG_SCOPES = ("This app hasn't been granted all required scopes to make this call. Read more about "
              "required scopes here: https://developers.hubspot.com/scopes.")
TEXT_SEARCH_PROPS = {
    "meetings": ["hs_meeting_title", "hs_meeting_body"],
    "contacts": ["firstname", "lastname", "email", "phone", "company"],
    "companies": ["name", "domain", "website", "phone"],
}
EMAIL_RE = re.compile(r"^[^@\s<>\"',;:]+@[^@\s<>\"',;:]+\.[^@\s<>\"',;:.]+$")


# --------------------------------------------------------------------------- helpers

def now_ms():
    return int(time.time() * 1000)


def iso(ms):
    dt = datetime.datetime.fromtimestamp(ms / 1000.0, tz=datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def parse_datetime(value):
    """Epoch milliseconds or ISO 8601 (date, or date-time; naive = UTC) -> ms, or None."""
    v = value.strip()
    if re.fullmatch(r"-?\d{1,16}", v):
        return int(v)
    if not re.match(r"^\d{4}-\d{2}-\d{2}", v):
        return None
    try:
        if len(v) == 10:
            dt = datetime.datetime.strptime(v, "%Y-%m-%d")
        else:
            dt = datetime.datetime.fromisoformat(v.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return int(round(dt.timestamp() * 1000))


def error_body(category, message, **extra):
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()),
            "category": category}
    body.update(extra)
    return body


def prop_errors_body(errs, context=None):
    """HubSpot's 'Property values were not valid' error. errs: [(name, code, message)]."""
    inner = [{"isValid": False, "message": m, "error": c, "name": n,
              "localizedErrorMessage": m, "portalId": portal_id()} for (n, c, m) in errs]
    msg = "Property values were not valid: " + json.dumps(inner, separators=(",", ":"))
    body = {"status": "error", "category": "VALIDATION_ERROR", "message": msg,
            "errors": [{"message": m, "code": c, "context": {"propertyName": [n]}}
                       for (n, c, m) in errs]}
    if context:
        body["context"] = context
    return body


class Resp:
    """A response: status, extra headers, body (bytes), and a flag telling whether
    the request was a processed write."""

    def __init__(self, status, body=None, headers=None, ctype="application/json;charset=utf-8"):
        self.status = status
        self.headers = dict(headers or {})
        if body is None:
            self.body = b""
        elif isinstance(body, bytes):
            self.body = body
        else:
            self.body = json.dumps(body, separators=(",", ":")).encode()
        if self.body:
            self.headers.setdefault("Content-Type", ctype)


def err(status, category, message, **extra):
    return Resp(status, error_body(category, message, **extra))


class ApiError(Exception):
    def __init__(self, resp):
        super().__init__(resp.status)
        self.resp = resp


def bad_request(message, **extra):
    return ApiError(err(400, "VALIDATION_ERROR", message, **extra))


# --------------------------------------------------------------------------- request schemas

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMAS_DIR = os.path.join(HERE, "schemas")


def template_regex(template):
    """'/crm/v3/objects/{objectType}/batch/create' -> a regex matching concrete paths."""
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")


class Operation:
    """One HTTP operation: its path template, a compiled validator for its request body (None
    when it takes no body) and whether it is exempt from the ten-secondly limit."""

    def __init__(self, method, template, validator, exempt_ten_secondly, source):
        self.method = method
        self.template = template
        self.regex = template_regex(template)
        self.nparams = len(re.findall(r"\{[^}]+\}", template))
        self.validator = validator
        self.exempt_ten_secondly = exempt_ten_secondly
        self.source = source

    def name(self):
        return "%s %s" % (self.method, self.template)


class Operations:
    """A set of operations; find() prefers the template with the fewest parameters."""

    def __init__(self, ops):
        self.ops = sorted(ops, key=lambda o: o.nparams)

    def find(self, method, path, prefer=None):
        """prefer: a file-name prefix that wins among equally specific templates (the 2026-09
        specs of meetings, contacts and companies all describe /crm/objects/2026-09/{objectType})."""
        best = None
        for op in self.ops:
            if op.method == method and op.regex.match(path):
                if best is not None and op.nparams > best.nparams:
                    break
                if best is None:
                    best = op
                if prefer is None or best.source.startswith(prefer):
                    break
                if op.source.startswith(prefer):
                    best = op
                    break
        return best


def spec_preference(path):
    """The official spec file a path belongs to first: /crm/objects/2026-09/contacts/... ->
    "contacts-" (None when the path does not name an object type there)."""
    m = re.match(r"^/crm/objects/[^/]+/([^/]+)(/[^/]+/associations(/.*)?)?", path)
    if m and not m.group(2):
        return m.group(1) + "-"
    return None


def load_schemas(directory=SCHEMAS_DIR):
    """The project's own request schemas (tests/sandbox/schemas/*.json, see the README there).

    Each file: {"title", "operations": [[METHOD, TEMPLATE], ...], "docs": [URL, ...],
    "facts": [...], "rateLimitExemptions": [...]?, "request": JSON Schema (draft 7)?}.
    common.json holds "definitions" shared by all (referenced as #/definitions/NAME)."""
    with open(os.path.join(directory, "common.json"), encoding="utf-8") as f:
        definitions = json.load(f)["definitions"]
    ops = []
    seen = {}
    for fname in sorted(os.listdir(directory)):
        if not fname.endswith(".json") or fname == "common.json":
            continue
        with open(os.path.join(directory, fname), encoding="utf-8") as f:
            doc = json.load(f)
        if not doc.get("docs"):
            raise ValueError("%s: no \"docs\" (every schema cites its documentation page)" % fname)
        validator = None
        if "request" in doc:
            root = dict(doc["request"])
            root["definitions"] = dict(definitions, **root.get("definitions", {}))
            jsonschema.Draft7Validator.check_schema(root)
            validator = jsonschema.Draft7Validator(root)
        exempt = "ten-secondly" in (doc.get("rateLimitExemptions") or [])
        for method, template in doc["operations"]:
            key = (method.upper(), template)
            if key in seen:
                raise ValueError("%s: %s %s is also in %s" % (fname, method, template, seen[key]))
            seen[key] = fname
            ops.append(Operation(method.upper(), template, validator, exempt, fname))
    if not ops:
        raise ValueError("no schemas in %s" % directory)
    return Operations(ops)


def load_official_specs(directory):
    """Strict mode: HubSpot's official OpenAPI documents (every *.json with "paths" in DIR).
    They are not redistributable, so they never ship with the project (see the README)."""
    ops = []
    names = sorted(n for n in os.listdir(directory) if n.endswith(".json"))
    for fname in names:
        with open(os.path.join(directory, fname), encoding="utf-8") as f:
            doc = json.load(f)
        if not isinstance(doc, dict) or "paths" not in doc:
            continue
        components = doc.get("components", {})
        for template, item in doc["paths"].items():
            for method, op in item.items():
                if method not in ("get", "post", "put", "patch", "delete"):
                    continue
                validator = None
                content = op.get("requestBody", {}).get("content", {})
                schema = (content.get("application/json") or {}).get("schema")
                if schema is not None:
                    root = dict(schema)
                    root["components"] = components
                    validator = jsonschema.Draft4Validator(root)  # OpenAPI 3.0: draft-4 style
                exempt = "ten-secondly" in (op.get("x-hubspot-rate-limit-exemptions") or [])
                ops.append(Operation(method.upper(), template, validator, exempt, fname))
    if not ops:
        raise ValueError("no OpenAPI operations in %s" % directory)
    return Operations(ops)


def first_error(validator, body):
    return jsonschema.exceptions.best_match(validator.iter_errors(body))


def schema_error_message(e):
    where = "".join("[%d]" % p if isinstance(p, int) else ".%s" % p for p in e.absolute_path)
    return "Invalid input JSON: %s (at $%s)" % (e.message, where)


# --------------------------------------------------------------------------- store

class Obj:
    __slots__ = ("otype", "id", "props", "created", "updated", "archived", "archived_at", "assoc",
                 "seeded", "idx", "pending", "seq")

    def __init__(self, otype, oid, props, ms, seeded=False, seq=0):
        self.otype = otype
        self.id = oid
        self.props = props
        self.created = ms
        self.updated = ms
        self.archived = False
        self.archived_at = None
        self.assoc = {k: [] for k in MEETING_ASSOC_TYPES} if otype == "meetings" else None
        self.seeded = seeded
        self.idx = None       # (props snapshot, archived) as visible to search
        self.pending = []     # [(visible_at_ms, props snapshot, archived)]
        self.seq = seq

    def public(self, props=None, with_trace=None):
        out = {"id": self.id, "properties": self.props if props is None else props,
               "createdAt": iso(self.created), "updatedAt": iso(self.updated),
               "archived": self.archived}
        if self.archived and self.archived_at:
            out["archivedAt"] = iso(self.archived_at)
        if with_trace:
            out["objectWriteTraceId"] = with_trace
        return out


class Config:
    def __init__(self, args):
        self.token = args.token
        self.rate_max, self.rate_interval_ms = parse_rate(args.rate)
        self.daily = args.daily
        self.search_rate = args.search_rate
        self.latency_ms = args.latency_ms
        self.search_delay_ms = args.search_delay_ms
        self.shuffle = not args.no_shuffle
        self.echo_trace_ids = args.echo_trace_ids
        self.portal_id = args.portal_id
        self.ui_domain = args.ui_domain
        self.scopes = [x for x in (args.scopes or "").split(",") if x] if args.scopes is not None \
            else list(ALL_SCOPES)
        self.activity_types = [x for x in (args.activity_types or "").split(",") if x]
        self.account_info = True
        self.token_kind = check_token_kind(args.token_kind)
        self.required_properties = [str(x) for x in (args.require_property or [])]

    def as_dict(self):
        return {"rate": "%d/%gs" % (self.rate_max, self.rate_interval_ms / 1000.0),
                "rate_max": self.rate_max, "rate_interval_ms": self.rate_interval_ms,
                "daily": self.daily, "search_rate": self.search_rate,
                "latency_ms": self.latency_ms, "search_delay_ms": self.search_delay_ms,
                "shuffle": self.shuffle, "echo_trace_ids": self.echo_trace_ids,
                "portal_id": self.portal_id, "ui_domain": self.ui_domain,
                "scopes": list(self.scopes),
                "activity_types": list(self.activity_types), "account_info": self.account_info,
                "token_kind": self.token_kind,
                "required_properties": list(self.required_properties)}


TOKEN_KINDS = ("service-key", "private-app")


def check_token_kind(kind):
    if kind not in TOKEN_KINDS:
        raise ValueError("token kind must be one of %s, not %r" % (", ".join(TOKEN_KINDS), kind))
    return kind


def parse_rate(text):
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*", str(text))
    if not m:
        raise ValueError("bad rate %r (expected N/INTERVAL, e.g. 100/10s or 5/500ms)" % text)
    n = int(m.group(1))
    amount = float(m.group(2))
    unit = m.group(3) or "s"
    ms = amount * {"ms": 1, "s": 1000, "m": 60000}[unit]
    if n <= 0 or ms <= 0:
        raise ValueError("bad rate %r: both parts must be positive" % text)
    return n, int(ms)


class Sandbox:
    """All state. Every mutation happens under self.lock."""

    def __init__(self, config, schemas, specs=None, log_path=None, conformance_log=None):
        self.cfg = config
        self.schemas = schemas          # our own request schemas (always)
        self.specs = specs              # the official OpenAPI specs (strict mode), or None
        self.conformance_fd = (os.open(conformance_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                               if conformance_log else None)
        self.lock = threading.Lock()
        self.log_file = open(log_path, "a", encoding="utf-8") if log_path else None
        self.rng = random.Random()
        self.seed_data = []
        self.next_id = {"meetings": 90000000001, "contacts": 1000001, "companies": 2000001,
                        "deals": 3000001, "tickets": 4000001}
        self.seq = 0
        self.faults = []
        self._reset_schema()
        self._reset_state()

    def _reset_schema(self):
        """A fresh portal: HubSpot's own properties and groups, none of ours."""
        self.custom_props = {k: collections.OrderedDict() for k in OBJECT_TYPES}
        self.groups = {k: collections.OrderedDict(
            (g, {"name": g, "label": g, "displayOrder": i, "archived": False})
            for i, g in enumerate(DEFAULT_GROUPS[k])) for k in OBJECT_TYPES}

    def prop(self, otype, name):
        """-> (type, read_only) of a property of the portal, or None."""
        known = KNOWN_PROPS[otype].get(name)
        if known:
            return known
        c = self.custom_props[otype].get(name)
        return (c["_kind"], False) if c else None

    def prop_names(self, otype):
        return list(KNOWN_PROPS[otype]) + list(self.custom_props[otype])

    def options(self, otype, name):
        if (otype, name) == ("meetings", "hs_activity_type"):
            return list(self.cfg.activity_types)
        c = self.custom_props[otype].get(name)
        if c:
            return [o["value"] for o in c.get("options") or []]
        return ENUM_OPTIONS.get((otype, name), [])

    # ---- state

    def _reset_state(self):
        self.objects = {k: collections.OrderedDict() for k in OBJECT_TYPES}
        self.emails = {}        # lower-case email -> contact id
        self.owners = collections.OrderedDict()
        self.window = collections.deque()
        self.search_window = collections.deque()
        self.daily_used = 0
        self.requests = []
        self.stats = {"requests": 0, "by_path": collections.Counter(), "status": collections.Counter(),
                      "writes": 0, "meetings_created": 0, "meetings_updated": 0,
                      "meetings_archived": 0, "rate_limited": 0, "faults": 0,
                      "by_version": collections.Counter({v: 0 for v in (LEGACY,) + API_VERSIONS}),
                      "legacy_paths": collections.Counter()}
        for entry in self.seed_data:
            self._apply_seed(entry)

    def reset(self, keep_seed=True, keep_schema=True):
        with self.lock:
            if not keep_seed:
                self.seed_data = []
            if not keep_schema:
                self._reset_schema()
            self.faults = []
            self._reset_state()

    def seed(self, data):
        if not isinstance(data, dict):
            raise ValueError("seed must be a JSON object")
        for key in data:
            if key not in ("contacts", "companies", "owners", "deals", "tickets", "meetings"):
                raise ValueError("unknown seed key %r" % key)
            if not isinstance(data[key], list):
                raise ValueError("seed %r must be a list" % key)
        with self.lock:
            self.seed_data.append(data)
            self._apply_seed(data)

    def _new_id(self, otype):
        n = self.next_id[otype]
        self.next_id[otype] = n + 1
        return str(n)

    def _bump_id(self, otype, oid):
        if oid.isdigit() and int(oid) >= self.next_id[otype]:
            self.next_id[otype] = int(oid) + 1

    def _apply_seed(self, data):
        ms = now_ms()
        # Meetings as HubSpot's own calendar sync leaves them (hs_i_cal_uid = the event's
        # iCalUID, hs_meeting_source BIDIRECTIONAL_SYNC, no ics2hubspot_key): API.md §3.2.
        for otype in ("contacts", "companies", "deals", "tickets", "meetings"):
            for rec in data.get(otype, []):
                rec = dict(rec)
                oid = str(rec.pop("id", "") or self._new_id(otype))
                props = dict(rec.pop("properties", {}) or {})
                for k, v in rec.items():
                    props[k] = None if v is None else str(v)
                for k, v in list(props.items()):
                    if k in DATETIME_PROPS and v:
                        props[k] = iso(parse_datetime(v))
                if otype == "contacts" and props.get("email"):
                    props["email"] = props["email"].strip().lower()
                self._bump_id(otype, oid)
                obj = self._make(otype, oid, props, ms, seeded=True)
                obj.idx = (dict(obj.props), False)
        for rec in data.get("owners", []):
            oid = str(rec.get("id") or len(self.owners) + 301)
            owner = {"id": oid, "email": rec.get("email", ""), "firstName": rec.get("firstName", ""),
                     "lastName": rec.get("lastName", ""), "userId": rec.get("userId", int(oid) + 1000
                                                                             if oid.isdigit() else 1),
                     "type": rec.get("type", "PERSON"), "teams": rec.get("teams", []),
                     "archived": bool(rec.get("archived", False)),
                     "createdAt": iso(ms), "updatedAt": iso(ms)}
            owner["userIdIncludingInactive"] = rec.get("userIdIncludingInactive", owner["userId"])
            self.owners[oid] = owner

    def _make(self, otype, oid, props, ms, seeded=False):
        self.seq += 1
        props = dict(props)
        props["hs_object_id"] = oid
        cp = CREATED_PROP.get(otype, "createdate")
        if not props.get(cp):
            props[cp] = iso(ms)
        props[MODIFIED_PROP.get(otype, "hs_lastmodifieddate")] = iso(ms)
        if not seeded:
            props["hs_object_source"] = "API"
        obj = Obj(otype, oid, props, ms, seeded=seeded, seq=self.seq)
        self.objects[otype][oid] = obj
        if otype == "contacts" and props.get("email"):
            self.emails[props["email"].lower()] = oid
        return obj

    def _touch(self, obj, ms):
        obj.updated = ms
        obj.props[MODIFIED_PROP.get(obj.otype, "hs_lastmodifieddate")] = iso(ms)
        snap = (ms + self.cfg.search_delay_ms, dict(obj.props), obj.archived)
        if self.cfg.search_delay_ms <= 0:
            obj.idx = (snap[1], snap[2])
            obj.pending = []
        else:
            obj.pending.append(snap)

    def _search_view(self, obj, ms):
        while obj.pending and obj.pending[0][0] <= ms:
            _, props, archived = obj.pending.pop(0)
            obj.idx = (props, archived)
        return obj.idx

    def live(self, otype, oid, archived=False):
        obj = self.objects[otype].get(oid)
        if obj is None or obj.archived != archived:
            return None
        return obj

    # ---- rate limiting (called under lock)

    def rate_headers(self, ms):
        cfg = self.cfg
        while self.window and self.window[0] <= ms - cfg.rate_interval_ms:
            self.window.popleft()
        return {"X-HubSpot-RateLimit-Max": str(cfg.rate_max),
                "X-HubSpot-RateLimit-Remaining": str(max(0, cfg.rate_max - len(self.window))),
                "X-HubSpot-RateLimit-Interval-Milliseconds": str(cfg.rate_interval_ms),
                "X-HubSpot-RateLimit-Daily": str(cfg.daily),
                "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, cfg.daily - self.daily_used))}

    def admit(self, is_search, exempt, ms):
        """Count the request; returns None when admitted, else the 429 policy name."""
        cfg = self.cfg
        if self.daily_used >= cfg.daily:
            return "DAILY"
        if is_search:
            while self.search_window and self.search_window[0] <= ms - 1000:
                self.search_window.popleft()
            if len(self.search_window) >= cfg.search_rate:
                return "SECONDLY"
            self.search_window.append(ms)
        elif not exempt:
            while self.window and self.window[0] <= ms - cfg.rate_interval_ms:
                self.window.popleft()
            if len(self.window) >= cfg.rate_max:
                return "TEN_SECONDLY_ROLLING"
            self.window.append(ms)
        self.daily_used += 1
        return None

    # ---- faults

    def set_faults(self, faults):
        if not isinstance(faults, list):
            raise ValueError('"faults" must be a list')
        clean = []
        for f in faults:
            if not isinstance(f, dict):
                raise ValueError("each fault must be an object")
            action = f.get("action")
            if action not in FAULT_ACTIONS:
                raise ValueError("fault action must be one of %s" % ", ".join(FAULT_ACTIONS))
            g = {"method": (f.get("method") or "").upper() or None, "path": f.get("path") or None,
                 "action": action, "status": int(f.get("status", 429 if action == "rate_limit" else 502)),
                 "delay_ms": int(f.get("delay_ms", 3000)), "policy": f.get("policy"),
                 "skip": int(f.get("skip", 0)), "count": int(f.get("count", 1)),
                 "body": f.get("body"), "retry_after": f.get("retry_after"),
                 "declared": f.get("declared", "full"), "seen": 0, "hits": 0}
            if g["policy"] is not None and g["policy"] not in RATE_MESSAGES:
                raise ValueError("policy must be one of %s" % ", ".join(RATE_MESSAGES))
            if g["body"] not in (None, "json", "html", "empty"):
                raise ValueError('body must be "json", "html" or "empty"')
            clean.append(g)
        with self.lock:
            self.faults = clean

    def match_fault(self, method, path):
        chosen = None
        with self.lock:
            for f in self.faults:
                if f["method"] and f["method"] != method:
                    continue
                p = f["path"]
                if p and not (path == p or (p.endswith("*") and path.startswith(p[:-1]))):
                    continue
                n = f["seen"]
                f["seen"] += 1
                if chosen is None and n >= f["skip"] and (f["count"] < 0 or f["hits"] < f["count"]):
                    f["hits"] += 1
                    chosen = dict(f)
            if chosen:
                self.stats["faults"] += 1
        return chosen

    # ---- request log

    def record(self, rec):
        token = self.cfg.token
        line = None
        with self.lock:
            self.requests.append(rec)
            st = self.stats
            st["requests"] += 1
            st["by_path"]["%s %s" % (rec["method"], rec["path"])] += 1
            st["by_version"][rec["version"]] += 1
            if rec["version"] == LEGACY:
                st["legacy_paths"]["%s %s" % (rec["method"], rec["path"])] += 1
            st["status"][str(rec["status"])] += 1
            if rec.get("write"):
                st["writes"] += 1
            if rec["status"] == 429:
                st["rate_limited"] += 1
            if self.log_file:
                slim = {k: v for k, v in rec.items() if k != "body"}
                line = json.dumps(slim, separators=(",", ":"))
                if token:
                    line = line.replace(token, "[REDACTED]")
                self.log_file.write(line + "\n")
                self.log_file.flush()


# --------------------------------------------------------------------------- API versions

# HubSpot's date-based API versions the sandbox serves (the specs' *-2026-09.json, meetings-2026-03.json)
# beside the legacy paths (/crm/v3, /crm/v4, /account-info/v3, /oauth/v2), which it still answers.
# A dated path is the legacy one with the version in the place of v3/v4:
#   /crm/objects/{V}/{type}/...                      <-> /crm/v3/objects/{type}/...
#   /crm/objects/{V}/{type}/{id}/associations/...    <-> /crm/v4/objects/{type}/{id}/associations/...
#   /crm/properties/{V}/...                          <-> /crm/v3/properties/...
#   /crm/associations/{V}/{from}/{to}/batch/...      <-> /crm/v4/associations/{from}/{to}/batch/...
#   /crm/owners/{V}[/{ownerId}]                      <-> /crm/v3/owners[/{ownerId}]
#   /account-info/{V}/details                        <-> /account-info/v3/details
LEGACY = "legacy"
V2026_09 = "2026-09"
V2026_03 = "2026-03"
API_VERSIONS = (V2026_09, V2026_03)
DATED_RE = re.compile(r"^/(crm/objects|crm/properties|crm/associations|crm/owners|account-info)"
                      r"/(\d{4}-\d{2}(?:-beta)?)(/.*)?$")
OBJ_ASSOC_RE = re.compile(r"^/[^/]+/[^/]+/associations(/.*)?$")
LEGACY_BASE = {"crm/properties": "/crm/v3/properties", "crm/associations": "/crm/v4/associations",
               "crm/owners": "/crm/v3/owners", "account-info": "/account-info/v3"}


def path_version(path):
    """-> (version, the legacy path the same operation has). version is "legacy" for any path that
    names no date version; for a dated path whose version the sandbox does not serve the legacy
    path is None (404)."""
    m = DATED_RE.match(path)
    if not m:
        return LEGACY, path
    area, version, rest = m.group(1), m.group(2), m.group(3) or ""
    if version not in API_VERSIONS:
        return version, None
    if area == "crm/objects":
        base = "/crm/v4/objects" if OBJ_ASSOC_RE.match(rest) else "/crm/v3/objects"
    else:
        base = LEGACY_BASE[area]
    return version, base + rest


def dated_path(legacy_path, version):
    """The inverse of path_version for a (normalized) legacy path."""
    if version == LEGACY:
        return legacy_path
    for prefix, area in (("/crm/v3/objects", "/crm/objects"), ("/crm/v4/objects", "/crm/objects"),
                         ("/crm/v3/properties", "/crm/properties"),
                         ("/crm/v4/associations", "/crm/associations"),
                         ("/crm/v3/owners", "/crm/owners"), ("/account-info/v3", "/account-info")):
        if legacy_path == prefix or legacy_path.startswith(prefix + "/"):
            return "%s/%s%s" % (area, version, legacy_path[len(prefix):])
    return legacy_path


# --------------------------------------------------------------------------- API logic

def norm_path(path):
    if len(path) > 1:
        path = path.rstrip("/")
    parts = path.split("/")
    # /crm/v3/objects/{type}/... and /crm/v3/properties/{type}
    if len(parts) > 4 and parts[1] == "crm" and parts[3] in ("objects", "properties"):
        parts[4] = TYPE_ALIASES.get(parts[4].lower(), parts[4])
    if len(parts) > 5 and parts[1] == "crm" and parts[2] == "v4" and parts[3] == "associations":
        parts[4] = TYPE_ALIASES.get(parts[4].lower(), parts[4])
        parts[5] = TYPE_ALIASES.get(parts[5].lower(), parts[5])
    if len(parts) > 6 and parts[1] == "crm" and parts[2] == "v4" and parts[3] == "objects":
        parts[4] = TYPE_ALIASES.get(parts[4].lower(), parts[4])
        for i in range(6, len(parts)):
            if parts[i - 1] in ("associations", "default") and parts[i].lower() in TYPE_ALIASES:
                parts[i] = TYPE_ALIASES[parts[i].lower()]
    return "/".join(parts)


def required_scopes(method, path):
    """-> the scopes of which the token needs one for this call, or None."""
    parts = path.split("/")
    read = method == "GET" or path.endswith("/search") or path.endswith("/batch/read")
    suffix = ".read" if read else ".write"
    if path.startswith("/account-info/"):
        return ["oauth"]
    if path == "/crm/v3/owners" or path.startswith("/crm/v3/owners/"):
        return ["crm.objects.owners.read"]
    if len(parts) > 4 and parts[1] == "crm" and parts[2] == "v3" and parts[4] in SCOPE_OF:
        objects, schemas = SCOPE_OF[parts[4]]
        if parts[3] == "objects":
            return [objects if objects == "tickets" else objects + suffix]
        if parts[3] == "properties":
            if schemas == "tickets":
                return ["tickets"]
            # reading properties: the schemas scope or the objects scope
            return [schemas + ".read", objects + ".read"] if read else [schemas + ".write"]
    if len(parts) > 5 and parts[1] == "crm" and parts[2] == "v4":
        names = [x for x in parts[4:] if x in SCOPE_OF]
        out = []
        for n in names:
            objects = SCOPE_OF[n][0]
            out += [objects] if objects == "tickets" else [objects + ".read", objects + ".write"]
        return out or None
    return None


def is_write(method, path):
    if method in ("PATCH", "DELETE", "PUT"):
        return True
    if method != "POST":
        return False
    return not (path.endswith("/search") or path.endswith("/batch/read"))


class Api:
    """The HubSpot endpoints. Handlers run under the sandbox lock."""

    def __init__(self, sb):
        self.sb = sb
        O = r"(meetings|contacts|companies|deals|tickets)"
        self.routes = [
            ("POST", r"/crm/v3/objects/%s/batch/create" % O, self.batch_create),
            ("POST", r"/crm/v3/objects/%s/batch/update" % O, self.batch_update),
            ("POST", r"/crm/v3/objects/%s/batch/archive" % O, self.batch_archive),
            ("POST", r"/crm/v3/objects/%s/batch/read" % O, self.batch_read),
            ("POST", r"/crm/v3/objects/%s/batch/upsert" % O, self.batch_upsert),
            ("POST", r"/crm/v3/objects/%s/search" % O, self.search),
            ("GET", r"/crm/v3/objects/%s" % O, self.list_objects),
            ("POST", r"/crm/v3/objects/%s" % O, self.create_one),
            ("GET", r"/crm/v3/objects/%s/([^/]+)" % O, self.get_one),
            ("PATCH", r"/crm/v3/objects/%s/([^/]+)" % O, self.patch_one),
            ("DELETE", r"/crm/v3/objects/%s/([^/]+)" % O, self.delete_one),
            ("GET", r"/crm/v3/properties/%s" % O, self.properties),
            ("POST", r"/crm/v3/properties/%s" % O, self.property_create),
            ("GET", r"/crm/v3/properties/%s/groups" % O, self.groups_list),
            ("POST", r"/crm/v3/properties/%s/groups" % O, self.group_create),
            ("GET", r"/crm/v3/properties/%s/groups/([^/]+)" % O, self.group_one),
            ("GET", r"/crm/v3/properties/%s/([^/]+)" % O, self.property_one),
            ("DELETE", r"/crm/v3/properties/%s/([^/]+)" % O, self.property_delete),
            ("GET", r"/account-info/v3/details", self.account_details),
            ("POST", r"/oauth/v2/private-apps/get/access-token-info", self.token_info),
            ("GET", r"/crm/v3/owners", self.owners),
            ("GET", r"/crm/v3/owners/([^/]+)", self.owner_one),
            ("POST", r"/crm/v4/associations/([^/]+)/([^/]+)/batch/create", self.assoc_create),
            ("POST", r"/crm/v4/associations/([^/]+)/([^/]+)/batch/associate/default",
             self.assoc_default),
            ("POST", r"/crm/v4/associations/([^/]+)/([^/]+)/batch/archive", self.assoc_archive),
            ("POST", r"/crm/v4/associations/([^/]+)/([^/]+)/batch/labels/archive",
             self.assoc_labels_archive),
            ("POST", r"/crm/v4/associations/([^/]+)/([^/]+)/batch/read", self.assoc_read),
            ("PUT", r"/crm/v4/objects/([^/]+)/([^/]+)/associations/default/([^/]+)/([^/]+)",
             self.assoc_put_default),
            ("GET", r"/crm/v4/objects/([^/]+)/([^/]+)/associations/([^/]+)", self.assoc_list),
            ("DELETE", r"/crm/v4/objects/([^/]+)/([^/]+)/associations/([^/]+)/([^/]+)",
             self.assoc_delete),
        ]
        self.routes = [(m, re.compile("^" + rx + "$"), fn) for (m, rx, fn) in self.routes]
        # Operations the date versions do not have (not in associations-2026-09.json; the
        # 2026-09 form is GET /crm/objects/2026-09/{type}/{id}?associations=...). The private-app
        # token-info endpoint has no dated form either (it is /oauth/v2 only).
        self.legacy_only = {self.assoc_list}

    def route(self, method, path, version=LEGACY):
        """-> (handler, path groups), or (None, whether the path is known for another method).
        path is the legacy form (path_version); version says which form was asked for."""
        known_path = False
        for m, rx, fn in self.routes:
            g = rx.match(path)
            if g:
                if version != LEGACY and fn in self.legacy_only:
                    continue
                known_path = True
                if m == method:
                    return fn, g.groups()
        return None, known_path

    # ---- shared pieces

    def _shuffle(self, items):
        if self.sb.cfg.shuffle:
            self.sb.rng.shuffle(items)
        return items

    def _batch_envelope(self, results, errors, t0, ctx=None):
        body = {"status": "COMPLETE", "results": results, "startedAt": iso(t0),
                "completedAt": iso(now_ms())}
        if errors:
            if ctx is not None and ctx.version != LEGACY:
                # the date versions' StandardError requires these members (the specs)
                for e in errors:
                    for k, v in (("context", {}), ("errors", []), ("links", {})):
                        e.setdefault(k, v)
            body["numErrors"] = len(errors)
            body["errors"] = errors
        return body

    @staticmethod
    def _batch_status(ctx, ok, errors):
        """A batch with refused inputs: 207 on the legacy paths and 2026-03; on 2026-09 its own
        success status (201 create, 200 otherwise) with errors and numErrors in the body."""
        return 207 if errors and not ctx.dated() else ok

    def _inputs(self, body, cap=MAX_BATCH):
        inputs = body.get("inputs")
        if not isinstance(inputs, list):
            raise bad_request("Invalid input JSON: inputs is required")
        if len(inputs) > cap:
            raise bad_request(MSG_BATCH_CAP)
        return inputs

    def _trace_mode(self, inputs):
        """Multi-status is enabled when every input carries a unique objectWriteTraceId."""
        ids = [i.get("objectWriteTraceId") for i in inputs]
        if not ids or any(not isinstance(t, str) or t == "" for t in ids):
            return False
        return len(set(ids)) == len(ids)

    def validate_props(self, otype, props, creating, ctx=None, fixed=None):
        """-> list of (name, code, message). On 2026-09 (ctx.dated()) the portal's required
        meeting properties are checked, and an enumeration value that matches an option but for
        letter case is accepted: fixed (a dict) gets {name: the option} for it."""
        dated = ctx is not None and ctx.dated()
        errs = []
        for name, value in props.items():
            known = self.sb.prop(otype, name)
            if known is None:
                errs.append((name, "PROPERTY_DOESNT_EXIST",
                             'Property "%s" does not exist' % name))
                continue
            typ, ro = known
            if ro:
                errs.append((name, "READ_ONLY_VALUE",
                             "%s is a read only property; its value cannot be set." % name))
                continue
            if value == "":
                continue
            if typ == "datetime" and parse_datetime(value) is None:
                errs.append((name, "INVALID_DATETIME",
                             "%s was not a valid long or ISO 8601 date-time (%s)" % (value, name)))
            elif typ == "enumeration":
                opts = self.sb.options(otype, name)
                same = [o for o in opts if o.lower() == value.lower()]
                if value not in opts and dated and len(same) == 1 and fixed is not None:
                    fixed[name] = same[0]
                elif value not in opts:
                    errs.append((name, "INVALID_OPTION", "%s was not one of the allowed options: [%s]"
                                 % (value, ", ".join(opts))))
            elif typ == "owner":
                if value not in self.sb.owners:
                    errs.append((name, "INVALID_OWNER_ID",
                                 "%s is not a valid owner id" % value))
            elif typ == "email" and not EMAIL_RE.match(value.strip()):
                errs.append((name, "INVALID_EMAIL", "Email address %s is invalid" % value))
        if creating and otype == "meetings" and not props.get("hs_timestamp"):
            errs.append(("hs_timestamp", "REQUIRED_PROPERTY",
                         'Property "hs_timestamp" is required'))
        if dated and otype == "meetings":
            # The portal's required properties (--require-property): enforced from 2026-09 on,
            # on a create without the property and an update that empties it.
            for name in self.sb.cfg.required_properties:
                missing = (name not in props or props[name] == "") if creating \
                    else (name in props and props[name] == "")
                if missing and not any(e[0] == name for e in errs):
                    errs.append((name, "MISSING_REQUIRED_PROPERTY",
                                 'The property "%s" is required by this portal and has no value'
                                 % name))
        return errs

    @staticmethod
    def normalized_warnings(fixed, props):
        """The warnings of a 2026-09 result whose enumeration values were stored as their option.
        Shaped like PublicObjectWarning (meetings-v3.json, meetings-2026-03.json: category,
        message, context with string values); 2026-09's SimplePublicObject declares no warnings
        (an assumption of the sandbox: tests/sandbox/README.md)."""
        return [{"category": "PROPERTY_VALUE_NORMALIZED",
                 "message": 'The value "%s" of %s was stored as the option "%s"'
                            % (props[n], n, opt),
                 "context": {"propertyName": n}} for n, opt in sorted(fixed.items())]

    def normalize_props(self, otype, props, fixed=None):
        out = {}
        for name, value in props.items():
            if fixed and name in fixed:
                out[name] = fixed[name]
                continue
            typ = (self.sb.prop(otype, name) or ("string", False))[0]
            if typ == "datetime" and value != "":
                out[name] = iso(parse_datetime(value))
            elif typ == "email":
                out[name] = value.strip().lower()
            else:
                out[name] = value
        return out

    def check_associations(self, otype, assocs):
        """-> (error body or None, [(target type, id)])."""
        links = []
        for a in assocs:
            to_id = a["to"]["id"]
            if not a["types"]:
                return (error_body("VALIDATION_ERROR", "Association to %s has no types" % to_id), [])
            for t in a["types"]:
                cat, tid = t["associationCategory"], t["associationTypeId"]
                target = ASSOC_TYPE_TARGET.get(tid) if otype == "meetings" else None
                if otype != "meetings":
                    target = None
                if target is None or cat != "HUBSPOT_DEFINED":
                    return (error_body("VALIDATION_ERROR",
                                       "%s association type id %s is not valid from %s"
                                       % (cat, tid, OBJECT_TYPES[otype][1]),
                                       subCategory="crm.associations.INVALID_ASSOCIATION_TYPE",
                                       context={"associationTypeId": [str(tid)]}), [])
                if self.sb.live(target, to_id) is None:
                    return (error_body("VALIDATION_ERROR",
                                       "One or more associations are invalid: %s %s does not exist"
                                       % (OBJECT_TYPES[target][1], to_id),
                                       subCategory="crm.associations.INVALID_OBJECT_IDS",
                                       context={"invalidToObjectIds": [to_id]}), [])
                links.append((target, to_id))
        return None, links

    def _select_props(self, obj, requested):
        names = list(dict.fromkeys(list(DEFAULT_PROPS[obj.otype]) + list(requested or [])))
        if not requested:
            names = DEFAULT_PROPS[obj.otype]
        return {n: obj.props.get(n) for n in names}

    def _validation_failure(self, otype, first_error):
        status = 409 if first_error.get("category") == "CONFLICT" else 400
        body = {"status": "error", "message": first_error.get("message"),
                "correlationId": str(uuid.uuid4())}
        for k, v in first_error.items():
            if k not in body and k != "context":
                body[k] = v
        ctxmap = {k: v for k, v in (first_error.get("context") or {}).items()
                  if k != "objectWriteTraceId"}
        if ctxmap:
            body["context"] = ctxmap
        return Resp(status, body)

    # ---- batch create / update / archive / read / upsert

    def batch_create(self, ctx, otype):
        sb, t0 = self.sb, now_ms()
        inputs = self._inputs(ctx.body)
        multi = self._trace_mode(inputs)
        planned, errors = [], []
        seen_emails = {}
        for inp in inputs:
            tid = inp.get("objectWriteTraceId")
            props = inp["properties"]
            e = None
            fixed = {}
            perrs = self.validate_props(otype, props, True, ctx, fixed)
            if perrs:
                e = prop_errors_body(perrs)
            links = []
            if e is None:
                e, links = self.check_associations(otype, inp.get("associations") or [])
            if e is None and otype == "contacts" and props.get("email"):
                em = props["email"].strip().lower()
                existing = sb.emails.get(em)
                if existing and sb.live("contacts", existing):
                    e = error_body("CONFLICT", "Contact already exists. Existing ID: %s" % existing)
                elif em in seen_emails:
                    e = error_body("VALIDATION_ERROR", "Duplicate email %s in batch input" % em)
                seen_emails[em] = True
            if e is not None:
                e.pop("correlationId", None)
                if not multi:
                    return self._validation_failure(otype, e)
                e.setdefault("context", {})["objectWriteTraceId"] = [tid]
                errors.append(e)
            else:
                planned.append((inp, links, tid, fixed))
        results = []
        ms = now_ms()
        for inp, links, tid, fixed in planned:
            obj = sb._make(otype, sb._new_id(otype),
                           self.normalize_props(otype, inp["properties"], fixed), ms)
            for target, to_id in links:
                if to_id not in obj.assoc[target]:
                    obj.assoc[target].append(to_id)
            sb._touch(obj, ms)
            if otype == "meetings":
                sb.stats["meetings_created"] += 1
            results.append(obj.public(dict(obj.props), tid if sb.cfg.echo_trace_ids else None))
            if fixed:
                results[-1]["warnings"] = self.normalized_warnings(fixed, inp["properties"])
        self._shuffle(results)
        body = self._batch_envelope(results, errors, t0, ctx)
        return Resp(self._batch_status(ctx, 201, errors), body)

    def batch_update(self, ctx, otype):
        sb, t0 = self.sb, now_ms()
        inputs = self._inputs(ctx.body)
        multi = self._trace_mode(inputs)
        ids = []
        for inp in inputs:
            idp = inp.get("idProperty")
            if idp not in (None, "", "hs_object_id"):
                raise bad_request("Unable to perform update/upsert by non-unique %s property %s in "
                                  "portal ID %d" % (OBJECT_TYPES[otype][0], idp, portal_id()))
            ids.append(inp["id"])
        dups = sorted({i for i in ids if ids.count(i) > 1})
        if dups:
            raise bad_request("Duplicate IDs found in batch input: [%s]. IDs must be unique"
                              % ", ".join(dups))
        planned, errors, missing = [], [], []
        for inp in inputs:
            tid = inp.get("objectWriteTraceId")
            obj = sb.live(otype, inp["id"])
            if obj is None:
                if multi:
                    errors.append(error_body("OBJECT_NOT_FOUND", "Object not found. objectId are "
                                             "usually numeric.", context={"ids": [inp["id"]],
                                                                         "objectWriteTraceId": [tid]}))
                    errors[-1].pop("correlationId")
                else:
                    missing.append(inp["id"])
                continue
            fixed = {}
            perrs = self.validate_props(otype, inp["properties"], False, ctx, fixed)
            if perrs:
                e = prop_errors_body(perrs)
                if not multi:
                    return self._validation_failure(otype, e)
                e["context"] = {"ids": [inp["id"]], "objectWriteTraceId": [tid]}
                errors.append(e)
                continue
            planned.append((obj, inp, tid, fixed))
        if missing:
            errors.append({"status": "error", "category": "OBJECT_NOT_FOUND",
                           "message": "Could not get some %s objects, they may be deleted or not "
                                      "exist. Check that ids are valid." % OBJECT_TYPES[otype][1],
                           "context": {"ids": missing}})
        ms = now_ms()
        results = []
        for obj, inp, tid, fixed in planned:
            new = self.normalize_props(otype, inp["properties"], fixed)
            if otype == "contacts" and "email" in new:
                sb.emails.pop((obj.props.get("email") or "").lower(), None)
                sb.emails[new["email"]] = obj.id
            obj.props.update(new)
            sb._touch(obj, ms)
            if otype == "meetings":
                sb.stats["meetings_updated"] += 1
            results.append(obj.public(dict(obj.props), tid if sb.cfg.echo_trace_ids else None))
            if fixed:
                results[-1]["warnings"] = self.normalized_warnings(fixed, inp["properties"])
        self._shuffle(results)
        return Resp(self._batch_status(ctx, 200, errors),
                    self._batch_envelope(results, errors, t0, ctx))

    def batch_archive(self, ctx, otype):
        sb = self.sb
        inputs = self._inputs(ctx.body)
        ms = now_ms()
        for inp in inputs:
            obj = sb.live(otype, inp["id"])
            if obj is None:
                continue
            obj.archived = True
            obj.archived_at = ms
            if otype == "contacts":
                sb.emails.pop((obj.props.get("email") or "").lower(), None)
            sb._touch(obj, ms)
            if otype == "meetings":
                sb.stats["meetings_archived"] += 1
        return Resp(204)

    def _find_by(self, otype, idp, value, archived):
        sb = self.sb
        if not idp or idp == "hs_object_id":
            return sb.live(otype, value, archived)
        if otype == "contacts" and idp == "email":
            oid = sb.emails.get(value.strip().lower())
            if oid and not archived:
                return sb.live(otype, oid)
            if archived:
                for o in sb.objects[otype].values():
                    if o.archived and (o.props.get("email") or "").lower() == value.strip().lower():
                        return o
            return None
        for o in sb.objects[otype].values():
            if o.archived == archived and o.props.get(idp) == value:
                return o
        return None

    def batch_read(self, ctx, otype):
        t0 = now_ms()
        body = ctx.body
        inputs = self._inputs(body)
        if body.get("propertiesWithHistory") and len(inputs) > 50:
            raise bad_request("The maximum number of inputs supported in a batch request for "
                              "property histories is 50")
        idp = body.get("idProperty")
        if idp and self.sb.prop(otype, idp) is None:
            raise bad_request('Property "%s" does not exist' % idp)
        archived = ctx.qbool("archived")
        results, missing, got = [], [], set()
        for inp in inputs:
            obj = self._find_by(otype, idp, inp["id"], archived)
            if obj is None:
                if inp["id"] not in missing:
                    missing.append(inp["id"])
                continue
            if obj.id in got:
                continue
            got.add(obj.id)
            results.append(obj.public(self._select_props(obj, body.get("properties"))))
        self._shuffle(results)
        errors = []
        if missing:
            errors.append({"status": "error", "category": "OBJECT_NOT_FOUND",
                           "message": "Could not get some %s objects, they may be deleted or not "
                                      "exist. Check that ids are valid." % OBJECT_TYPES[otype][1],
                           "context": {"ids": missing}})
        return Resp(self._batch_status(ctx, 200, errors),
                    self._batch_envelope(results, errors, t0, ctx))

    def batch_upsert(self, ctx, otype):
        sb, t0 = self.sb, now_ms()
        inputs = self._inputs(ctx.body)
        for inp in inputs:
            idp = inp.get("idProperty") or "hs_object_id"
            if not (otype == "contacts" and idp == "email"):
                raise bad_request("Unable to perform update/upsert by non-unique %s property %s in "
                                  "portal ID %d" % (OBJECT_TYPES[otype][0], idp, portal_id()))
        keys = [inp["id"].strip().lower() for inp in inputs]
        dups = sorted({k for k in keys if keys.count(k) > 1})
        if dups:
            raise bad_request("Duplicate IDs found in batch input: [%s]. IDs must be unique"
                              % ", ".join(dups))
        # "Partial upserts are not supported when using email as the idProperty": all or nothing.
        for inp, key in zip(inputs, keys):
            props = dict(inp["properties"])
            props.pop("email", None)
            perrs = self.validate_props(otype, props, False, ctx)
            if not EMAIL_RE.match(key):
                perrs.append(("email", "INVALID_EMAIL", "Email address %s is invalid" % inp["id"]))
            if perrs:
                return self._validation_failure(otype, prop_errors_body(perrs))
        ms = now_ms()
        results = []
        for inp, key in zip(inputs, keys):
            props = self.normalize_props(otype, inp["properties"])
            props["email"] = key
            oid = sb.emails.get(key)
            obj = sb.live(otype, oid) if oid else None
            if obj is None:
                obj = sb._make(otype, sb._new_id(otype), props, ms)
                new = True
            else:
                obj.props.update(props)
                new = False
            sb._touch(obj, ms)
            r = obj.public(dict(obj.props))
            r["new"] = new
            results.append(r)
        self._shuffle(results)
        return Resp(200, self._batch_envelope(results, [], t0))

    # ---- single-object endpoints

    def create_one(self, ctx, otype):
        body = {"inputs": [dict(ctx.body, objectWriteTraceId="single")]}
        r = self.batch_create(ctx.sub(body), otype)
        data = json.loads(r.body)
        if data.get("errors"):
            e = data["errors"][0]
            e.pop("context", None)
            return self._validation_failure(otype, e)
        res = data["results"][0]
        res.pop("objectWriteTraceId", None)
        return Resp(201, res)

    def _not_found(self):
        return err(404, "OBJECT_NOT_FOUND", "resource not found")

    def get_one(self, ctx, otype, oid):
        obj = self._find_by(otype, ctx.q("idProperty"), oid, ctx.qbool("archived"))
        if obj is None:
            return self._not_found()
        out = obj.public(self._select_props(obj, ctx.qlist("properties")))
        wanted = [TYPE_ALIASES.get(a.lower(), a) for a in ctx.qlist("associations")]
        if obj.assoc and wanted:
            assoc = {}
            for t in wanted:
                if obj.assoc.get(t):
                    assoc[t] = {"results": [{"id": i, "type": "meeting_to_" + OBJECT_TYPES[t][1].lower()}
                                            for i in obj.assoc[t]]}
            if assoc:
                out["associations"] = assoc
        return Resp(200, out)

    def patch_one(self, ctx, otype, oid):
        obj = self._find_by(otype, ctx.q("idProperty"), oid, False)
        if obj is None:
            return self._not_found()
        fixed = {}
        perrs = self.validate_props(otype, ctx.body["properties"], False, ctx, fixed)
        if perrs:
            return self._validation_failure(otype, prop_errors_body(perrs))
        obj.props.update(self.normalize_props(otype, ctx.body["properties"], fixed))
        ms = now_ms()
        self.sb._touch(obj, ms)
        if otype == "meetings":
            self.sb.stats["meetings_updated"] += 1
        out = obj.public(dict(obj.props))
        if fixed:
            out["warnings"] = self.normalized_warnings(fixed, ctx.body["properties"])
        return Resp(200, out)

    def delete_one(self, ctx, otype, oid):
        return self.batch_archive(ctx.sub({"inputs": [{"id": oid}]}), otype)

    def list_objects(self, ctx, otype):
        limit = ctx.qint("limit", 10)
        after = ctx.qint("after", 0)
        archived = ctx.qbool("archived")
        objs = [o for o in self.sb.objects[otype].values() if o.archived == archived]
        page = objs[after:after + limit]
        body = {"results": [o.public(self._select_props(o, ctx.qlist("properties"))) for o in page]}
        if after + limit < len(objs):
            body["paging"] = {"next": {"after": str(after + limit)}}
        return Resp(200, body)

    def _prop_def(self, otype, name):
        custom = self.sb.custom_props[otype].get(name)
        if custom:
            return {k: v for k, v in custom.items() if not k.startswith("_")}
        typ, ro = KNOWN_PROPS[otype][name]
        htype, field = {"datetime": ("datetime", "date"), "enumeration": ("enumeration", "select"),
                        "number": ("number", "number"), "owner": ("enumeration", "select")
                        }.get(typ, ("string", "text"))
        opts = [{"label": v.replace("_", " ").title(), "value": v, "displayOrder": i, "hidden": False}
                for i, v in enumerate(self.sb.options(otype, name))]
        if typ == "owner":
            opts = [{"label": "%s %s" % (o["firstName"], o["lastName"]), "value": o["id"],
                     "displayOrder": i, "hidden": False} for i, o in enumerate(self.sb.owners.values())]
        return {"name": name, "label": name, "type": htype, "fieldType": field,
                "groupName": "engagement" if otype == "meetings" else otype[:-1] + "information",
                "options": opts, "hidden": False, "hasUniqueValue": False, "formField": False,
                "hubspotDefined": True,
                "calculated": False, "externalOptions": False, "description": "",
                "modificationMetadata": {"archivable": True, "readOnlyDefinition": True,
                                         "readOnlyValue": ro},
                "createdAt": iso(0), "updatedAt": iso(0), "archived": False}

    def properties(self, ctx, otype):
        return Resp(200, {"results": [self._prop_def(otype, n) for n in self.sb.prop_names(otype)]})

    def property_one(self, ctx, otype, name):
        if self.sb.prop(otype, name) is None:
            return err(404, "OBJECT_NOT_FOUND", "Unable to find property %s" % name)
        return Resp(200, self._prop_def(otype, name))

    def property_create(self, ctx, otype):
        b = ctx.body if isinstance(ctx.body, dict) else {}
        for k in ("name", "label", "type", "fieldType", "groupName"):
            if not isinstance(b.get(k), str) or not b.get(k):
                raise bad_request("Invalid input JSON: %s is required" % k)
        name, group = b["name"], b["groupName"]
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise bad_request("Property name %s is not valid: use lower-case letters, digits and "
                              "underscores" % name)
        if self.sb.prop(otype, name) is not None:
            return err(409, "OBJECT_ALREADY_EXISTS", "Property named '%s' already exists." % name)
        if group not in self.sb.groups[otype]:
            raise bad_request("Property group %s does not exist" % group,
                              context={"groupName": [group]})
        kinds = {("string", "text"): "string", ("string", "textarea"): "string",
                 ("number", "number"): "number", ("datetime", "date"): "datetime",
                 ("enumeration", "select"): "enumeration"}
        kind = kinds.get((b["type"], b["fieldType"]))
        if kind is None:
            raise bad_request("type %s with fieldType %s is not supported" % (b["type"], b["fieldType"]))
        t = iso(now_ms())
        d = {"name": name, "label": b["label"], "type": b["type"], "fieldType": b["fieldType"],
             "groupName": group, "description": b.get("description") or "",
             "options": b.get("options") or [], "hidden": bool(b.get("hidden", False)),
             "hasUniqueValue": bool(b.get("hasUniqueValue", False)), "formField": False,
             "hubspotDefined": False, "calculated": False, "externalOptions": False,
             "displayOrder": b.get("displayOrder", -1),
             "modificationMetadata": {"archivable": True, "readOnlyDefinition": False,
                                      "readOnlyValue": False},
             "createdAt": t, "updatedAt": t, "archived": False, "_kind": kind}
        self.sb.custom_props[otype][name] = d
        return Resp(201, {k: v for k, v in d.items() if not k.startswith("_")})

    def property_delete(self, ctx, otype, name):
        """Archive a property (DELETE /crm/v3/properties/{objectType}/{propertyName}): 204.
        HubSpot's own properties cannot be; values already stored stay on the records but the
        property is gone for writes, reads and search (PROPERTY_DOESNT_EXIST)."""
        if name in KNOWN_PROPS[otype]:
            raise bad_request("Property %s is a HubSpot-defined property and cannot be archived"
                              % name, context={"propertyName": [name]})
        if self.sb.custom_props[otype].pop(name, None) is None:
            return err(404, "OBJECT_NOT_FOUND", "Unable to find property %s" % name)
        return Resp(204)

    def groups_list(self, ctx, otype):
        return Resp(200, {"results": list(self.sb.groups[otype].values())})

    def group_one(self, ctx, otype, name):
        g = self.sb.groups[otype].get(name)
        if g is None:
            return err(404, "OBJECT_NOT_FOUND", "Unable to find property group %s" % name)
        return Resp(200, g)

    def group_create(self, ctx, otype):
        b = ctx.body if isinstance(ctx.body, dict) else {}
        for k in ("name", "label"):
            if not isinstance(b.get(k), str) or not b.get(k):
                raise bad_request("Invalid input JSON: %s is required" % k)
        if not re.fullmatch(r"[a-z][a-z0-9_]*", b["name"]):
            raise bad_request("Property group name %s is not valid" % b["name"])
        if b["name"] in self.sb.groups[otype]:
            return err(409, "OBJECT_ALREADY_EXISTS",
                       "Property group named '%s' already exists." % b["name"])
        g = {"name": b["name"], "label": b["label"],
             "displayOrder": b.get("displayOrder", -1), "archived": False}
        self.sb.groups[otype][b["name"]] = g
        return Resp(201, g)

    # ---- account and token information

    def account_details(self, ctx):
        if not self.sb.cfg.account_info:
            return err(404, "OBJECT_NOT_FOUND", "resource not found")
        return Resp(200, {"portalId": portal_id(), "accountType": "STANDARD",
                          "timeZone": "US/Eastern", "companyCurrency": "USD",
                          "additionalCurrencies": [], "utcOffset": "-05:00",
                          "utcOffsetMilliseconds": -18000000, "uiDomain": self.sb.cfg.ui_domain,
                          "dataHostingLocation": "na1"})

    def token_info(self, ctx):
        if self.sb.cfg.token_kind != "private-app":
            # A service key is not a private app's token: this legacy endpoint does not know it.
            return err(404, "OBJECT_NOT_FOUND", "resource not found: the access token is not a "
                       "private app token (token info exists for private app tokens only)")
        b = ctx.body if isinstance(ctx.body, dict) else {}
        if b.get("tokenKey") != self.sb.cfg.token:
            return err(401, "INVALID_AUTHENTICATION", MSG_AUTH)
        return Resp(200, {"userId": 7000001, "hubId": portal_id(), "appId": 3000001,
                          "scopes": list(self.sb.cfg.scopes)})

    # ---- search

    def search(self, ctx, otype):
        sb, body = self.sb, ctx.body
        limit = body.get("limit", 10)
        if limit > MAX_SEARCH_LIMIT or limit < 0:
            raise bad_request("limit must be between 0 and %d" % MAX_SEARCH_LIMIT)
        try:
            after = int(body.get("after") or 0)
        except ValueError:
            raise bad_request("after must be an integer offset, got %r" % body.get("after"))
        if after >= SEARCH_PAGING_CAP or after < 0 or after + limit > SEARCH_PAGING_CAP:
            raise bad_request("Paging beyond %d results is not supported" % SEARCH_PAGING_CAP,
                              context={"after": [str(after)]})
        q = body.get("query")
        if q is not None and len(q) > 3000:
            raise bad_request("query is longer than 3000 characters")
        groups = body.get("filterGroups") or []
        if len(groups) > 5:
            raise bad_request("Too many filter groups: %d (max 5)" % len(groups))
        nfilters = 0
        for g in groups:
            if len(g["filters"]) > 6:
                raise bad_request("Too many filters in a group: %d (max 6)" % len(g["filters"]))
            nfilters += len(g["filters"])
            for f in g["filters"]:
                self._check_filter(otype, f)
        if nfilters > 18:
            raise bad_request("Too many filters: %d (max 18)" % nfilters)
        ms = now_ms()
        hits = []
        for obj in sb.objects[otype].values():
            view = sb._search_view(obj, ms)
            if view is None or view[1]:
                continue
            props = view[0]
            if groups and not any(all(self._match(otype, props, f) for f in g["filters"])
                                  for g in groups):
                continue
            if q and not self._text_match(otype, props, q):
                continue
            hits.append((obj, props))
        sorts = body.get("sorts") or []
        if sorts:
            key = sorts[0] if isinstance(sorts[0], str) else str(sorts[0])
            desc = key.startswith("-")
            name = key.lstrip("-")
            hits.sort(key=lambda h: self._sort_key(name, h[1].get(name)), reverse=desc)
        total = len(hits)
        page = hits[after:after + limit]
        req = body.get("properties") or []
        names = list(dict.fromkeys(DEFAULT_PROPS[otype] + req)) if req else DEFAULT_PROPS[otype]
        results = []
        for obj, props in page:
            r = obj.public({n: props.get(n) for n in names})
            results.append(r)
        out = {"total": total, "results": results}
        nxt = after + limit
        if nxt < total and nxt < SEARCH_PAGING_CAP and limit > 0:
            out["paging"] = {"next": {"after": str(nxt)}}
        return Resp(200, out)

    def _check_filter(self, otype, f):
        op, name = f["operator"], f["propertyName"]
        if otype == "meetings" and self.sb.prop(otype, name) is None:
            raise bad_request("There was a problem with the request: property %s does not exist"
                              % name, context={"propertyName": [name]})
        if op in ("EQ", "NEQ", "LT", "LTE", "GT", "GTE", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN",
                  "BETWEEN") and f.get("value") is None:
            raise bad_request("Filter on %s with operator %s requires a value" % (name, op))
        if op == "BETWEEN" and f.get("highValue") is None:
            raise bad_request("Filter on %s with operator BETWEEN requires highValue" % name)
        if op in ("IN", "NOT_IN") and not isinstance(f.get("values"), list):
            raise bad_request("Filter on %s with operator %s requires values" % (name, op))

    def _kind(self, otype, name):
        if name in DATETIME_PROPS:
            return "datetime"
        typ = (self.sb.prop(otype, name) or ("string", False))[0]
        if typ in ("number", "owner"):
            return "number"
        if typ == "enumeration":
            return "enum"
        return "string"

    def _cmp_value(self, kind, v):
        if kind == "datetime":
            return parse_datetime(v)
        if kind == "number":
            try:
                return float(v)
            except ValueError:
                return None
        return v

    def _match(self, otype, props, f):
        op, name = f["operator"], f["propertyName"]
        v = props.get(name)
        has = v is not None and v != ""
        if op == "HAS_PROPERTY":
            return has
        if op == "NOT_HAS_PROPERTY":
            return not has
        if not has:
            return op in ("NEQ", "NOT_IN", "NOT_CONTAINS_TOKEN")
        kind = self._kind(otype, name)
        if op in ("IN", "NOT_IN"):
            values = f["values"]
            if kind in ("datetime", "number"):
                a = self._cmp_value(kind, v)
                found = any(a is not None and a == self._cmp_value(kind, x) for x in values)
            elif kind == "enum":
                found = v in values
            else:
                found = v.lower() in values  # IN on strings needs lower-case values
            return found if op == "IN" else not found
        if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
            pat = f["value"].lower()
            tokens = [t for t in re.split(r"[^\w@.\-]+|[\s]+", v.lower()) if t] + [v.lower()]
            found = any(fnmatch.fnmatchcase(t, pat) for t in tokens)
            return found if op == "CONTAINS_TOKEN" else not found
        target = f["value"]
        if kind in ("datetime", "number"):
            a, b = self._cmp_value(kind, v), self._cmp_value(kind, target)
            if a is None or b is None:
                return op == "NEQ"
        elif kind == "enum":
            a, b = v, target
        else:
            a, b = v.lower(), target.lower()
        if op == "EQ":
            return a == b
        if op == "NEQ":
            return a != b
        if op == "LT":
            return a < b
        if op == "LTE":
            return a <= b
        if op == "GT":
            return a > b
        if op == "GTE":
            return a >= b
        if op == "BETWEEN":
            hi = f["highValue"]
            hi = self._cmp_value(kind, hi) if kind in ("datetime", "number") else hi.lower()
            return hi is not None and b <= a <= hi
        return False

    def _text_match(self, otype, props, q):
        words = [w for w in q.lower().split() if w]
        text = " ".join((props.get(n) or "") for n in TEXT_SEARCH_PROPS.get(otype, [])).lower()
        return all(w.strip("*") in text for w in words)

    def _sort_key(self, name, v):
        if v is None:
            return (1, 0, "")
        ms = parse_datetime(v) if name in DATETIME_PROPS else None
        if ms is not None:
            return (0, ms, "")
        try:
            return (0, float(v), "")
        except ValueError:
            return (0, 0, v.lower())

    # ---- owners

    def owners(self, ctx):
        limit = ctx.qint("limit", 100)
        if limit < 1 or limit > 500:
            raise bad_request("limit must be between 1 and 500")
        after = ctx.qint("after", 0)
        archived = ctx.qbool("archived")
        email = ctx.q("email")
        rows = [o for o in self.sb.owners.values() if o["archived"] == archived
                and (email is None or o["email"].lower() == email.strip().lower())]
        page = rows[after:after + limit]
        body = {"results": page}
        if after + limit < len(rows):
            body["paging"] = {"next": {"after": str(after + limit)}}
        return Resp(200, body)

    def owner_one(self, ctx, oid):
        by = ctx.q("idProperty") or "id"
        for o in self.sb.owners.values():
            if (o["id"] == oid if by == "id" else str(o["userId"]) == oid):
                if o["archived"] == ctx.qbool("archived"):
                    return Resp(200, o)
        return self._not_found()

    # ---- v4 associations (from meetings)

    def _pair(self, from_t, to_t):
        if from_t != "meetings" or to_t not in MEETING_ASSOC_TYPES:
            raise bad_request("The sandbox supports associations from meetings to contacts, "
                              "companies, deals and tickets only (got %s -> %s)" % (from_t, to_t))
        return MEETING_ASSOC_TYPES[to_t]

    def _assoc_error(self, message, ctxmap, sub="crm.associations.INVALID_OBJECT_IDS"):
        return {"status": "error", "category": "VALIDATION_ERROR", "subCategory": sub,
                "message": message, "context": ctxmap}

    def _check_pair_ids(self, to_t, from_id, to_id):
        if self.sb.live("meetings", from_id) is None:
            return self._assoc_error("No MEETING with id %s exists" % from_id,
                                     {"fromObjectId": [from_id]})
        if self.sb.live(to_t, to_id) is None:
            return self._assoc_error("No %s with id %s exists" % (OBJECT_TYPES[to_t][1], to_id),
                                     {"toObjectId": [to_id]})
        return None

    def _associate(self, ctx, to_t, check, result):
        """The input loop of both association creates: the ids of each input are checked, then
        check(inp) (an error or None); a pair that passes is associated (once) and answered by
        result(f, t). Returns (results, errors)."""
        sb = self.sb
        results, errors = [], []
        for inp in self._inputs(ctx.body, cap=2000):
            f, t = inp["from"]["id"], inp["to"]["id"]
            e = self._check_pair_ids(to_t, f, t) or check(inp)
            if e:
                errors.append(e)
                continue
            m = sb.live("meetings", f)
            if t not in m.assoc[to_t]:
                m.assoc[to_t].append(t)
                sb._touch(m, now_ms())
            results.append(result(f, t))
        return results, errors

    def _check_types(self, inp, to_t, type_id):
        for spec in inp["types"]:
            if spec["associationCategory"] != "HUBSPOT_DEFINED" or \
                    spec["associationTypeId"] != type_id:
                return self._assoc_error("%s association type id %s is not valid for %s to %s"
                                         % (spec["associationCategory"], spec["associationTypeId"],
                                            "MEETING", OBJECT_TYPES[to_t][1]),
                                         {"associationTypeId": [str(spec["associationTypeId"])]},
                                         sub="crm.associations.INVALID_ASSOCIATION_TYPE")
        if not inp["types"]:
            return self._assoc_error("types must not be empty", {"toObjectId": [inp["to"]["id"]]},
                                     sub="crm.associations.INVALID_ASSOCIATION_TYPE")
        return None

    def assoc_create(self, ctx, from_t, to_t):
        t0 = now_ms()
        type_id = self._pair(from_t, to_t)
        results, errors = self._associate(
            ctx, to_t, lambda inp: self._check_types(inp, to_t, type_id),
            lambda f, t: {"fromObjectTypeId": "0-47", "fromObjectId": f,
                          "toObjectTypeId": OBJECT_TYPES[to_t][0], "toObjectId": t, "labels": []})
        self._shuffle(results)
        if ctx.dated():  # associations-2026-09.json: 200 BatchResponseLabelsBetweenObjectPair
            return Resp(200, self._batch_envelope(results, errors, t0, ctx))
        return Resp(207 if errors else 201, self._batch_envelope(results, errors, t0, ctx))

    def assoc_default(self, ctx, from_t, to_t):
        t0 = now_ms()
        type_id = self._pair(from_t, to_t)
        results, errors = self._associate(
            ctx, to_t, lambda inp: None,
            lambda f, t: {"from": {"id": f}, "to": {"id": t},
                          "associationSpec": {"associationCategory": "HUBSPOT_DEFINED",
                                              "associationTypeId": type_id}})
        return Resp(200, self._batch_envelope(results, errors, t0, ctx))

    def assoc_archive(self, ctx, from_t, to_t):
        sb, t0 = self.sb, now_ms()
        self._pair(from_t, to_t)
        for inp in self._inputs(ctx.body, cap=2000):
            m = sb.objects["meetings"].get(inp["from"]["id"])
            if m is None:
                continue
            before = len(m.assoc[to_t])
            drop = {x["id"] for x in inp["to"]}
            m.assoc[to_t] = [i for i in m.assoc[to_t] if i not in drop]
            if len(m.assoc[to_t]) != before:
                sb._touch(m, now_ms())
        if ctx.dated():  # associations-2026-09.json: 200 BatchResponseVoid, not 204
            return Resp(200, self._batch_envelope([], [], t0, ctx))
        return Resp(204)

    def assoc_labels_archive(self, ctx, from_t, to_t):
        type_id = self._pair(from_t, to_t)
        inputs = [{"from": i["from"], "to": [i["to"]]} for i in self._inputs(ctx.body, cap=2000)
                  if any(s["associationTypeId"] == type_id for s in i["types"])]
        return self.assoc_archive(ctx.sub({"inputs": inputs}), from_t, to_t)

    def assoc_read(self, ctx, from_t, to_t):
        sb, t0 = self.sb, now_ms()
        type_id = self._pair(from_t, to_t)
        inputs = self._inputs(ctx.body, cap=1000)
        results, missing = [], []
        for inp in inputs:
            m = sb.live("meetings", inp["id"])
            if m is None or not m.assoc[to_t]:
                missing.append(inp["id"])
                continue
            results.append({"from": {"id": m.id}, "to": [
                {"toObjectId": i, "associationTypes": [{"category": "HUBSPOT_DEFINED",
                                                        "typeId": type_id, "label": None}]}
                for i in m.assoc[to_t]]})
        errors = []
        if missing:
            errors.append({"status": "error", "category": "OBJECT_NOT_FOUND",
                           "message": "No %s is associated with MEETING %s"
                                      % (OBJECT_TYPES[to_t][1], ", ".join(missing)),
                           "context": {"fromObjectId": missing}})
        return Resp(self._batch_status(ctx, 200, errors),
                    self._batch_envelope(results, errors, t0, ctx))

    def assoc_put_default(self, ctx, from_t, from_id, to_t, to_id):
        inner = ctx.sub({"inputs": [{"from": {"id": from_id}, "to": {"id": to_id}}]})
        r = self.assoc_default(inner, from_t, to_t)
        data = json.loads(r.body)
        if data.get("errors"):
            e = data["errors"][0]
            e["correlationId"] = str(uuid.uuid4())
            return Resp(400, e)
        return Resp(200, data)

    def assoc_list(self, ctx, from_t, from_id, to_t):
        type_id = self._pair(from_t, to_t)
        m = self.sb.live("meetings", from_id)
        if m is None:
            return self._not_found()
        return Resp(200, {"results": [
            {"toObjectId": i, "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": type_id,
                                                    "label": None}]} for i in m.assoc[to_t]]})

    def assoc_delete(self, ctx, from_t, from_id, to_t, to_id):
        self._pair(from_t, to_t)
        inner = ctx.sub({"inputs": [{"from": {"id": from_id}, "to": [{"id": to_id}]}]})
        self.assoc_archive(inner, from_t, to_t)
        return Resp(204)


class Ctx:
    def __init__(self, method, path, query, body, version=LEGACY):
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.version = version  # "legacy", "2026-09" or "2026-03"

    def sub(self, body):
        """The same request with another body (a handler calling another one)."""
        return Ctx(self.method, self.path, self.query, body, self.version)

    def dated(self):
        """2026-09 semantics: batches answer their own success status (no 207), association
        archives answer 200 with a body, required properties and option case are checked."""
        return self.version == V2026_09

    def q(self, name):
        v = self.query.get(name)
        return v[-1] if v else None

    def qlist(self, name):
        out = []
        for v in self.query.get(name, []):
            out.extend(x for x in v.split(",") if x)
        return out

    def qbool(self, name):
        return (self.q(name) or "false").lower() == "true"

    def qint(self, name, default):
        v = self.q(name)
        if v is None or v == "":
            return default
        try:
            return int(v)
        except ValueError:
            raise bad_request("%s must be an integer, got %r" % (name, v))


# --------------------------------------------------------------------------- HTTP

GATEWAY_HTML = ("<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n"
                "<center><h1>{code} {reason}</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
                "</body>\r\n</html>\r\n")
STATUS_CATEGORY = {400: "VALIDATION_ERROR", 401: "INVALID_AUTHENTICATION", 403: "MISSING_SCOPES",
                   404: "OBJECT_NOT_FOUND", 409: "CONFLICT", 423: "LOCKED", 429: "RATE_LIMITS"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "HubSpotSandbox/1.0"
    sys_version = ""

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("sandbox: %s\n" % (fmt % args))

    def do_GET(self):
        self.dispatch()

    do_POST = do_PATCH = do_DELETE = do_PUT = do_GET

    # ---- plumbing

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            data = b""
            while True:
                line = self.rfile.readline()
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def send(self, resp, truncate=None):
        self.send_response(resp.status)
        for k, v in resp.headers.items():
            self.send_header(k, v)
        body = resp.body
        self.send_header("Content-Length", str(len(body)))
        if truncate is not None:
            cut = body[:len(body) // 2]
            if truncate == "cut":
                self.headers_buffer_fix(len(cut))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(cut)
            self.wfile.flush()
            self.close_connection = True
            return
        self.end_headers()
        if body:
            self.wfile.write(body)

    def headers_buffer_fix(self, n):
        # replace the Content-Length just buffered with the truncated length
        buf = self._headers_buffer
        for i, line in enumerate(buf):
            if line.lower().startswith(b"content-length:"):
                buf[i] = ("Content-Length: %d\r\n" % n).encode()

    def hard_reset(self):
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True

    # ---- dispatch

    def dispatch(self):
        sb = self.server.sandbox
        url = urlsplit(self.path)
        try:
            raw = self.read_body()
        except (ValueError, OSError):
            self.send(err(400, "VALIDATION_ERROR", "Malformed request body"))
            return
        query = parse_qs(url.query, keep_blank_values=True)
        if url.path.startswith("/_sandbox/") or url.path == "/_sandbox":
            self.admin(sb, url.path, query, raw)
            return
        self.api(sb, url.path, query, raw)

    def api(self, sb, path, query, raw):
        t0 = time.time()
        method = self.command
        version, lpath = path_version(path)
        npath = norm_path(lpath if lpath is not None else path)
        self.req_version = version
        # the path in the form asked for, with type aliases normalized (schemas, official specs)
        self.req_dpath = dated_path(npath, version) if lpath is not None else npath
        body, parse_err = None, None
        if raw.strip():
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError) as e:
                line, col = getattr(e, "lineno", 1), getattr(e, "colno", 1)
                parse_err = "Invalid input JSON on line %d, column %d: %s" % (
                    line, col, getattr(e, "msg", str(e)))
        inputs = None
        if isinstance(body, dict) and isinstance(body.get("inputs"), list):
            inputs = len(body["inputs"])
        auth = self.headers.get("Authorization")
        token_ok = False
        if auth:
            parts = auth.split(None, 1)
            token_ok = len(parts) == 2 and parts[0].lower() == "bearer" and parts[1].strip() == sb.cfg.token
        rec = {"method": method, "path": path, "version": version, "status": 0, "inputs": inputs,
               "at": int(t0 * 1000),
               "auth": "ok" if token_ok else ("missing" if not auth else "invalid")}
        redacted_q = {k: ("[REDACTED]" if k.lower() in ("hapikey", "access_token", "token") else v)
                      for k, v in query.items()}
        if redacted_q:
            rec["query"] = redacted_q
        if body is not None:
            rec["body"] = body
        fault = None
        truncate = None
        try:
            if not token_ok:
                resp = err(401, "INVALID_AUTHENTICATION", MSG_AUTH)
            else:
                fault = sb.match_fault(method, path)
                if fault:
                    rec["fault"] = fault["action"]
                resp = self.api_with_fault(sb, fault, method, npath, query, body, parse_err, raw, rec)
                if resp is None:  # connection reset
                    rec["status"] = 0
                    rec["ms"] = int((time.time() - t0) * 1000)
                    sb.record(rec)
                    self.hard_reset()
                    return
                if fault and fault["action"] == "truncate":
                    truncate = fault["declared"]
            resp.headers.setdefault("X-HubSpot-Correlation-Id", str(uuid.uuid4()))
            if sb.cfg.latency_ms > 0:
                time.sleep(sb.cfg.latency_ms / 1000.0)
            rec["status"] = resp.status
            rec["ms"] = int((time.time() - t0) * 1000)
            sb.record(rec)
            self.send(resp, truncate)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def fault_body(self, fault, status, default):
        kind = fault.get("body") or default
        reason = self.responses.get(status, ("Error",))[0]
        if kind == "empty":
            return Resp(status)
        if kind == "html":
            return Resp(status, GATEWAY_HTML.format(code=status, reason=reason).encode(),
                        ctype="text/html")
        if status == 429:
            return self.rate_limited(self.server.sandbox, fault.get("policy") or "TEN_SECONDLY_ROLLING",
                                     False)
        cat = STATUS_CATEGORY.get(status, "INTERNAL_ERROR" if status >= 500 else "VALIDATION_ERROR")
        return err(status, cat, reason if status < 500 else "internal error")

    def rate_limited(self, sb, policy, is_search):
        body = {"status": "error", "message": RATE_MESSAGES[policy], "errorType": "RATE_LIMIT",
                "correlationId": str(uuid.uuid4()), "policyName": policy,
                "requestId": str(uuid.uuid4()), "category": "RATE_LIMITS"}
        headers = {}
        if not is_search:
            with sb.lock:
                headers = sb.rate_headers(now_ms())
            if policy == "TEN_SECONDLY_ROLLING":
                headers["X-HubSpot-RateLimit-Remaining"] = "0"
            if policy == "DAILY":
                headers["X-HubSpot-RateLimit-Daily-Remaining"] = "0"
        return Resp(429, body, headers)

    def api_with_fault(self, sb, fault, method, npath, query, body, parse_err, raw, rec):
        is_search = npath.endswith("/search")
        action = fault["action"] if fault else None
        if action == "reset":
            return None
        if action == "rate_limit":
            return self.rate_limited(sb, fault.get("policy") or ("SECONDLY" if is_search
                                                                 else "TEN_SECONDLY_ROLLING"),
                                     is_search)
        if action == "status":
            r = self.fault_body(fault, fault["status"], "json")
            if fault.get("retry_after") is not None:
                r.headers["Retry-After"] = str(fault["retry_after"])
            return r
        if action == "echo_auth":
            # A server or proxy that echoes the request's Authorization header in its error.
            return Resp(fault["status"], error_body(
                "VALIDATION_ERROR", "Invalid input; the request carried Authorization: %s"
                % self.headers.get("Authorization", "")))
        if action == "slow":
            time.sleep(fault["delay_ms"] / 1000.0)
        resp = self.handle_api(sb, method, npath, query, body, parse_err, raw, is_search, rec)
        if action == "store_then_status":
            status = fault["status"]
            r = self.fault_body(fault, status, "html" if status >= 500 else "json")
            if fault.get("retry_after") is not None:
                r.headers["Retry-After"] = str(fault["retry_after"])
            return r
        if action == "store_then_reset":
            return None
        return resp

    def handle_api(self, sb, method, npath, query, body, parse_err, raw, is_search, rec):
        api = self.server.api
        op = sb.schemas.find(method, self.req_dpath)
        fn, groups = api.route(method, npath, self.req_version)
        with sb.lock:
            ms = now_ms()
            exempt = op.exempt_ten_secondly if op else False
            policy = sb.admit(is_search, exempt and not is_search, ms)
            headers = {} if is_search else sb.rate_headers(ms)
        if policy:
            return self.rate_limited(sb, policy, is_search)
        resp = self.handle_api_inner(sb, api, op, fn, groups, method, npath, query, body, parse_err,
                                     raw, rec)
        if not is_search:
            for k, v in headers.items():
                resp.headers.setdefault(k, v)
        return resp

    def handle_api_inner(self, sb, api, op, fn, groups, method, npath, query, body, parse_err, raw, rec):
        if fn is None:
            if groups:  # known path, wrong method
                return err(405, "VALIDATION_ERROR", "Method %s not allowed on %s" % (method, npath))
            return err(404, "OBJECT_NOT_FOUND", "resource not found: %s %s" % (method, npath))
        if op is None or op.validator is None:
            if raw.strip() and method in ("POST", "PUT", "PATCH"):
                return err(500, "INTERNAL_ERROR",
                           "sandbox: no request schema for %s %s; add one to tests/sandbox/schemas "
                           "(see tests/sandbox/README.md)" % (method, self.req_dpath))
        else:
            if parse_err:
                return err(400, "VALIDATION_ERROR", parse_err)
            if body is None:
                return err(400, "VALIDATION_ERROR",
                           "Invalid JSON input: a request body was expected, but none found")
            # the 100-input cap is checked before the item schemas (as HubSpot's message says)
            inputs = body.get("inputs") if isinstance(body, dict) else None
            if isinstance(inputs, list) and len(inputs) > MAX_BATCH and "/batch/" in npath \
                    and npath.startswith("/crm/v3/"):
                return err(400, "VALIDATION_ERROR", MSG_BATCH_CAP)
            error = self.validate(sb, op, method, self.req_dpath, body)
            if error is not None:
                path = ["$"] + [str(p) for p in error.absolute_path]
                return err(400, "VALIDATION_ERROR", schema_error_message(error),
                           errors=[{"message": error.message, "in": "body",
                                    "code": "INVALID_REQUEST_BODY",
                                    "context": {"path": [".".join(path)]}}])
        need = required_scopes(method, npath)
        if need and not set(need) & set(sb.cfg.scopes):
            return err(403, "MISSING_SCOPES", MSG_SCOPES,
                       errors=[{"message": "One or more of the following scopes are required.",
                                "context": {"requiredGranularScopes": need}}],
                       links={"scopes": "https://developers.hubspot.com/scopes"})
        if is_write(method, npath):
            rec["write"] = True
        ctx = Ctx(method, npath, query, body if body is not None else {}, self.req_version)
        try:
            with sb.lock:
                return fn(ctx, *groups)
        except ApiError as e:
            return e.resp
        except Exception as e:  # a sandbox bug: say so loudly rather than drop the connection
            import traceback
            traceback.print_exc()
            return err(500, "INTERNAL_ERROR", "sandbox internal error: %s: %s"
                       % (type(e).__name__, e))

    def validate(self, sb, op, method, npath, body):
        """Our schema's verdict; in strict mode also the official spec's, and both are recorded
        in the conformance log. Returns the first error, or None when the body is valid."""
        error = first_error(op.validator, body)
        if sb.specs is None:
            return error
        off = sb.specs.find(method, npath, prefer=spec_preference(npath))
        off_error = first_error(off.validator, body) if off and off.validator else None
        if sb.conformance_fd is not None:
            entry = {"op": op.name(), "path": npath, "schema": op.source, "ours": error is None,
                     "official": None if not (off and off.validator) else off_error is None,
                     "official_op": off.name() + " (" + off.source + ")" if off else None}
            if error is None and off_error is not None:
                entry["official_error"] = schema_error_message(off_error)
            os.write(sb.conformance_fd, (json.dumps(entry, separators=(",", ":")) + "\n").encode())
        if error is None and off_error is not None:
            print("sandbox: strict mode: %s %s: our schema %s accepts a body the official spec "
                  "rejects: %s" % (method, npath, op.source, schema_error_message(off_error)),
                  file=sys.stderr)
            return off_error
        return error

    # ---- admin API

    def admin(self, sb, path, query, raw):
        try:
            data = json.loads(raw) if raw.strip() else {}
        except ValueError as e:
            self.send(Resp(400, {"error": "invalid JSON: %s" % e}))
            return
        m = self.command
        try:
            if m == "GET" and path == "/_sandbox/meetings":
                with sb.lock:
                    out = [{"id": o.id, "properties": dict(o.props),
                            "associations": {k: list(v) for k, v in o.assoc.items()},
                            "archived": o.archived, "createdAt": iso(o.created),
                            "updatedAt": iso(o.updated)} for o in sb.objects["meetings"].values()]
                self.send(Resp(200, {"meetings": out}))
            elif m == "GET" and path in ("/_sandbox/contacts", "/_sandbox/companies",
                                         "/_sandbox/deals", "/_sandbox/tickets"):
                kind = path.rsplit("/", 1)[1]
                with sb.lock:
                    out = [{"id": o.id, "properties": dict(o.props), "archived": o.archived,
                            "createdAt": iso(o.created), "updatedAt": iso(o.updated)}
                           for o in sb.objects[kind].values()]
                self.send(Resp(200, {kind: out}))
            elif m == "GET" and path == "/_sandbox/owners":
                with sb.lock:
                    self.send(Resp(200, {"owners": list(sb.owners.values())}))
            elif m == "GET" and path == "/_sandbox/requests":
                bodies = (query.get("bodies") or ["0"])[-1] in ("1", "true")
                with sb.lock:
                    reqs = [dict(r) if bodies else {k: v for k, v in r.items() if k != "body"}
                            for r in sb.requests]
                text = json.dumps({"requests": reqs}, separators=(",", ":"))
                text = text.replace(sb.cfg.token, "[REDACTED]") if sb.cfg.token else text
                self.send(Resp(200, text.encode()))
            elif m == "GET" and path == "/_sandbox/stats":
                with sb.lock:
                    st = dict(sb.stats)
                    st["by_path"] = dict(st["by_path"])
                    st["status"] = dict(st["status"])
                    st["by_version"] = dict(st["by_version"])
                    st["legacy_paths"] = dict(st["legacy_paths"])
                    st["meetings"] = sum(1 for o in sb.objects["meetings"].values() if not o.archived)
                    st["daily_used"] = sb.daily_used
                self.send(Resp(200, st))
            elif m == "GET" and path == "/_sandbox/faults":
                with sb.lock:
                    self.send(Resp(200, {"faults": [dict(f) for f in sb.faults]}))
            elif m == "POST" and path == "/_sandbox/faults":
                sb.set_faults(data.get("faults", []))
                self.send(Resp(200, {"ok": True, "faults": len(sb.faults)}))
            elif m == "POST" and path == "/_sandbox/reset":
                sb.reset(keep_seed=data.get("seed", True) is not False,
                         keep_schema=data.get("schema", True) is not False)
                self.send(Resp(200, {"ok": True}))
            elif m == "POST" and path == "/_sandbox/seed":
                sb.seed(data)
                self.send(Resp(200, {"ok": True}))
            elif path == "/_sandbox/config" and m in ("GET", "POST"):
                if m == "POST":
                    self.apply_config(sb, data)
                self.send(Resp(200, {"ok": True, "config": sb.cfg.as_dict()}))
            elif m == "GET" and path == "/_sandbox/health":
                self.send(Resp(200, {"ok": True}))
            else:
                self.send(Resp(404, {"error": "unknown admin endpoint %s %s" % (m, path)}))
        except (ValueError, TypeError, KeyError) as e:
            self.send(Resp(400, {"error": str(e)}))

    def apply_config(self, sb, data):
        cfg = sb.cfg
        allowed = {"latency_ms", "rate", "search_delay_ms", "daily", "search_rate", "shuffle",
                   "echo_trace_ids", "portal_id", "ui_domain", "scopes", "activity_types",
                   "account_info", "token_kind", "required_properties"}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError("unknown config keys: %s" % ", ".join(sorted(unknown)))
        with sb.lock:
            if "rate" in data:
                cfg.rate_max, cfg.rate_interval_ms = parse_rate(data["rate"])
            for k in ("latency_ms", "search_delay_ms", "daily", "search_rate"):
                if k in data:
                    setattr(cfg, k, int(data[k]))
            for k in ("shuffle", "echo_trace_ids", "account_info"):
                if k in data:
                    setattr(cfg, k, bool(data[k]))
            if "token_kind" in data:
                cfg.token_kind = check_token_kind(data["token_kind"])
            if "required_properties" in data and not isinstance(data["required_properties"], list):
                raise ValueError('"required_properties" must be a list of property names')
            for k in ("scopes", "activity_types", "required_properties"):
                if k in data:
                    setattr(cfg, k, [str(x) for x in data[k]])
            if "ui_domain" in data:
                cfg.ui_domain = str(data["ui_domain"])
            if "portal_id" in data:
                cfg.portal_id = int(data["portal_id"])
                _PORTAL[0] = cfg.portal_id


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


# --------------------------------------------------------------------------- main

EPILOG = """\
HubSpot API served (request bodies validated against tests/sandbox/schemas):
  POST /crm/v3/objects/meetings/batch/{create,update,archive,read,upsert}, .../search
  GET/PATCH/DELETE /crm/v3/objects/meetings/{id}, GET|POST /crm/v3/properties/meetings,
  GET|DELETE /crm/v3/properties/meetings/{name}
  GET|POST /crm/v3/properties/meetings/groups, GET .../groups/{name}
  GET /account-info/v3/details, POST /oauth/v2/private-apps/get/access-token-info
  POST /crm/v3/objects/contacts/batch/{read,upsert,create,update}, companies/search
  GET /crm/v3/owners[?limit&after&email], /crm/v3/owners/{id}
  POST /crm/v4/associations/meetings/{contacts|companies|deals|tickets}/batch/{create,archive,
       associate/default,labels/archive,read}
Date versions V = 2026-09 (current) and 2026-03, the same operations at:
  /crm/objects/V/{type}/..., /crm/objects/V/{type}/{id}/associations/..., /crm/properties/V/...,
  /crm/associations/V/{from}/{to}/batch/..., /crm/owners/V[/{id}], /account-info/V/details
  2026-09: batches with refused inputs answer 201/200 with errors (no 207), association archives
  200 with a body; --require-property and enumeration case are checked on writes.
  GET /_sandbox/stats counts by_version and legacy_paths.
Admin API (no auth):
  GET  /_sandbox/{meetings,contacts,companies,owners,requests[?bodies=1],stats,faults,config}
  POST /_sandbox/faults {"faults":[{"method","path","action","status","delay_ms","policy",
                                    "skip","count","body","retry_after"}]}
       actions: status reset slow truncate store_then_status store_then_reset rate_limit echo_auth
  POST /_sandbox/reset [{"seed":false,"schema":false}]   POST /_sandbox/seed {...}
  POST /_sandbox/config {"latency_ms","rate","search_delay_ms","daily","search_rate",
                         "shuffle","echo_trace_ids","portal_id","ui_domain","scopes",
                         "activity_types","account_info","token_kind","required_properties"}
Strict mode: --specs DIR (or $SANDBOX_SPECS_DIR) also validates every body against HubSpot's
official OpenAPI specs in DIR; --conformance-log FILE (or $SANDBOX_CONFORMANCE_LOG) appends both
verdicts per body (tests/conformance/summary.py reads it).
See tests/sandbox/README.md.
"""


def build_parser():
    p = argparse.ArgumentParser(
        prog="sandbox.py", description="Local HubSpot CRM API sandbox (tests, demo, benchmarks). "
        "Binds 127.0.0.1 only; exits on SIGTERM.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG)
    p.add_argument("--port", type=int, default=0, help="TCP port (0 = pick a free one; default 0)")
    p.add_argument("--port-file", metavar="FILE",
                   help="write the chosen port here once listening (atomically)")
    p.add_argument("--token", default="test-token",
                   help='expected Bearer token (default "test-token")')
    p.add_argument("--rate", default="100/10s", metavar="N/INTERVAL",
                   help="ten-secondly rolling limit, e.g. 100/10s, 5/1s, 10/500ms (default 100/10s)")
    p.add_argument("--daily", type=int, default=250000, help="daily limit (default 250000)")
    p.add_argument("--search-rate", type=int, default=5,
                   help="search requests per second (default 5)")
    p.add_argument("--latency-ms", type=int, default=0, help="added to every API response")
    p.add_argument("--search-delay-ms", type=int, default=0,
                   help="delay before a write becomes visible to search (default 0)")
    p.add_argument("--seed", metavar="FILE.json", help="contacts/companies/owners/deals/tickets to preload")
    p.add_argument("--log", metavar="FILE", help="request log, JSON lines (Authorization never logged)")
    p.add_argument("--no-shuffle", action="store_true",
                   help="keep batch results in input order (default: shuffled like HubSpot)")
    p.add_argument("--echo-trace-ids", action="store_true",
                   help="echo objectWriteTraceId in success results (HubSpot does not promise it)")
    p.add_argument("--random-seed", type=int, help="seed for result shuffling (reproducible order)")
    p.add_argument("--portal-id", type=int, default=PORTAL_ID,
                   help="the portal id account-info and token-info answer (default %d)" % PORTAL_ID)
    p.add_argument("--ui-domain", default="app.hubspot.com",
                   help="the uiDomain account-info answers (default app.hubspot.com; EU portals: "
                   "app-eu1.hubspot.com)")
    p.add_argument("--scopes", metavar="S1,S2",
                   help="the token's scopes (default: every scope the tool can use)")
    p.add_argument("--activity-types", metavar="T1,T2",
                   help="the portal's meeting types, the options of hs_activity_type (default none)")
    p.add_argument("--token-kind", choices=TOKEN_KINDS, default="service-key",
                   help="what the token is: a service key (default; the legacy private-app "
                   "token-info endpoint answers 404) or a private app's token")
    p.add_argument("--require-property", action="append", metavar="NAME",
                   help="a meeting property the portal requires (repeatable); 2026-09 writes "
                   "without it get MISSING_REQUIRED_PROPERTY")
    p.add_argument("--verbose", action="store_true", help="log every HTTP request to stderr")
    p.add_argument("--specs", metavar="DIR", default=os.environ.get("SANDBOX_SPECS_DIR") or None,
                   help="strict mode: also validate against HubSpot's official OpenAPI specs in DIR "
                   "(default $SANDBOX_SPECS_DIR; off when unset)")
    p.add_argument("--conformance-log", metavar="FILE",
                   default=os.environ.get("SANDBOX_CONFORMANCE_LOG") or None,
                   help="strict mode: append one JSON line per validated body with our verdict and "
                   "the official one (default $SANDBOX_CONFORMANCE_LOG)")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        cfg = Config(args)
    except ValueError as e:
        print("sandbox: %s" % e, file=sys.stderr)
        return 2
    try:
        schemas = load_schemas()
    except (OSError, ValueError, KeyError, jsonschema.exceptions.SchemaError) as e:
        print("sandbox: cannot load the request schemas from %s: %s" % (SCHEMAS_DIR, e),
              file=sys.stderr)
        return 2
    specs = None
    if args.specs:
        try:
            specs = load_official_specs(args.specs)
        except (OSError, ValueError) as e:
            print("sandbox: cannot load the HubSpot specs from %s: %s" % (args.specs, e),
                  file=sys.stderr)
            return 2
    elif args.conformance_log:
        print("sandbox: --conformance-log needs --specs DIR (strict mode)", file=sys.stderr)
        return 2
    _PORTAL[0] = cfg.portal_id
    sb = Sandbox(cfg, schemas, specs, args.log, args.conformance_log)
    if args.random_seed is not None:
        sb.rng.seed(args.random_seed)
    if args.seed:
        try:
            with open(args.seed, encoding="utf-8") as f:
                sb.seed(json.load(f))
        except (OSError, ValueError) as e:
            print("sandbox: bad --seed %s: %s" % (args.seed, e), file=sys.stderr)
            return 2
    try:
        server = Server(("127.0.0.1", args.port), Handler)
    except OSError as e:
        print("sandbox: cannot listen on 127.0.0.1:%d: %s" % (args.port, e), file=sys.stderr)
        return 2
    server.sandbox = sb
    server.api = Api(sb)
    server.verbose = args.verbose
    port = server.server_address[1]

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.port_file:
        tmp = args.port_file + ".tmp.%d" % os.getpid()
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    if args.verbose:
        print("sandbox: listening on http://127.0.0.1:%d" % port, file=sys.stderr)
    try:
        server.serve_forever(poll_interval=0.2)
    except SystemExit:
        pass
    finally:
        server.server_close()
        if sb.log_file:
            sb.log_file.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
