#!/usr/bin/python3
"""Self-test of the HubSpot sandbox: /usr/bin/python3 tests/sandbox/test_sandbox.py

Starts sandbox.py on port 0 (two instances: a roomy one and a tightly rate-limited one) and checks
each behaviour over real HTTP. Last line of output: "N passed, N failed"; exit status 1 on failure.
"""

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SANDBOX = os.path.join(HERE, "sandbox.py")
TOKEN = "test-token"

SEED = {
    "contacts": [{"id": "101", "email": "a@x.com", "firstname": "Ann"},
                 {"id": "102", "email": "Bob@Y.com", "firstname": "Bob"}],
    "companies": [{"id": "201", "domain": "x.com", "name": "X Inc"},
                  {"id": "202", "domain": "y.com", "name": "Y Ltd"}],
    "owners": [{"id": str(301 + i), "email": "rep%d@mycompany.example" % i, "firstName": "Rep%d" % i,
                "lastName": "Smith"} for i in range(5)],
    "deals": [{"id": "1234"}],
    "tickets": [{"id": "5678"}],
}


class Sandbox:
    def __init__(self, *args, env=None):
        self.dir = tempfile.mkdtemp(prefix="sbtest-")
        self.port_file = os.path.join(self.dir, "port")
        self.log = os.path.join(self.dir, "requests.jsonl")
        seed = os.path.join(self.dir, "seed.json")
        with open(seed, "w") as f:
            json.dump(SEED, f)
        cmd = [sys.executable, SANDBOX, "--port", "0", "--port-file", self.port_file,
               "--seed", seed, "--log", self.log] + list(args)
        t0 = time.time()
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None:
                raise RuntimeError("sandbox died: %s" % self.proc.stderr.read().decode())
            if time.time() - t0 > 10:
                raise RuntimeError("sandbox did not start")
            time.sleep(0.01)
        self.startup_s = time.time() - t0
        with open(self.port_file) as f:
            self.port = int(f.read())

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def conn(self, timeout=10):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def call(self, method, path, body=None, token=TOKEN, conn=None, raw=None, headers=None):
        """-> (status, headers dict (lower-case keys), parsed JSON body or raw bytes)."""
        c = conn or self.conn()
        h = {"Content-Type": "application/json"}
        if token is not None:
            h["Authorization"] = "Bearer " + token
        h.update(headers or {})
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        payload = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        if conn is None:
            c.close()
        try:
            parsed = json.loads(payload) if payload else None
        except ValueError:
            parsed = payload
        return r.status, hdrs, parsed

    def admin(self, method, path, body=None):
        return self.call(method, "/_sandbox/" + path, body, token=None)[2]


def meeting(title, ts="1700000000000", trace=None, assoc=(), **props):
    p = {"hs_timestamp": ts, "hs_meeting_title": title}
    p.update(props)
    inp = {"properties": p, "associations": [
        {"to": {"id": i}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": t}]}
        for (i, t) in assoc]}
    if trace is not None:
        inp["objectWriteTraceId"] = trace
    return inp


CREATE = "/crm/v3/objects/meetings/batch/create"
SEARCH = "/crm/v3/objects/meetings/search"


def search_body(filters, limit=10, after="0", props=()):
    return {"filterGroups": [{"filters": filters}] if filters else [], "sorts": [],
            "properties": list(props), "limit": limit, "after": after}


class SandboxTest(unittest.TestCase):
    sb = None

    @classmethod
    def setUpClass(cls):
        cls.sb = Sandbox("--random-seed", "7")
        cls.make_identity_property(cls.sb)

    @staticmethod
    def make_identity_property(sb):
        """What `ics2hubspot setup` does on a fresh portal (the tests below use the property)."""
        sb.call("POST", "/crm/v3/properties/meetings/groups",
                {"name": "ics2hubspot", "label": "ics2hubspot", "displayOrder": -1})
        return sb.call("POST", "/crm/v3/properties/meetings",
                       {"name": "ics2hubspot_key", "label": "ics2hubspot key", "type": "string",
                        "fieldType": "text", "groupName": "ics2hubspot"})

    @classmethod
    def tearDownClass(cls):
        cls.sb.stop()

    def setUp(self):
        self.sb.admin("POST", "reset")
        self.sb.admin("POST", "config", {"echo_trace_ids": False, "search_delay_ms": 0,
                                         "latency_ms": 0, "token_kind": "service-key",
                                         "required_properties": []})

    def create(self, inputs):
        return self.sb.call("POST", CREATE, {"inputs": inputs})

    def meetings(self):
        return self.sb.admin("GET", "meetings")["meetings"]

    # ---- startup, auth, HTTP

    def test_startup_does_not_hang(self):
        # Not a timing test (a loaded CI machine is slow; speed belongs in make bench): the port
        # file must appear well before the 10 s the Sandbox helper waits.
        self.assertLess(self.sb.startup_s, 8, "startup took %.2fs" % self.sb.startup_s)

    def test_401(self):
        for token in (None, "wrong"):
            st, _, body = self.sb.call("POST", CREATE, {"inputs": [meeting("a")]}, token=token)
            self.assertEqual(st, 401)
            self.assertEqual(body["category"], "INVALID_AUTHENTICATION")
            self.assertTrue(body["message"].startswith("Authentication credentials not found."))
            self.assertEqual(body["status"], "error")
            self.assertIn("correlationId", body)
        self.assertEqual(self.meetings(), [])

    def test_keepalive_and_content_length(self):
        c = self.sb.conn()
        st1, h1, _ = self.sb.call("POST", CREATE, {"inputs": [meeting("a", trace="t")]}, conn=c)
        mid = self.meetings()[0]["id"]
        st2, h2, body2 = self.sb.call("POST", "/crm/v3/objects/meetings/batch/archive",
                                      {"inputs": [{"id": mid}]}, conn=c)
        st3, h3, _ = self.sb.call("GET", "/crm/v3/owners", conn=c)
        c.close()
        self.assertEqual((st1, st2, st3), (201, 204, 200))
        self.assertEqual(h2["content-length"], "0")
        self.assertIsNone(body2)
        for h in (h1, h3):
            self.assertIn("content-length", h)

    # ---- batch/create

    def test_cap_100(self):
        st, _, body = self.create([meeting("m%d" % i, trace=str(i)) for i in range(101)])
        self.assertEqual(st, 400)
        self.assertEqual(body["message"], "The maximum number of inputs supported in a batch is 100. "
                         "Please reduce the number of items and try again")
        self.assertEqual(body["category"], "VALIDATION_ERROR")
        self.assertEqual(self.meetings(), [])

    def test_spec_violations(self):
        bad_value = meeting("a", trace="t")
        bad_value["properties"]["hs_timestamp"] = 1700000000000
        no_assoc = meeting("a", trace="t")
        del no_assoc["associations"]
        str_type = meeting("a", trace="t", assoc=[("101", 200)])
        str_type["associations"][0]["types"][0]["associationTypeId"] = "200"
        for inp in (bad_value, no_assoc, str_type):
            st, _, body = self.create([inp])
            self.assertEqual(st, 400, inp)
            self.assertEqual(body["category"], "VALIDATION_ERROR")
            self.assertTrue(body["message"].startswith("Invalid input JSON"), body["message"])
        st, _, body = self.sb.call("POST", CREATE, raw=b'{"inputs": [')
        self.assertEqual(st, 400)
        self.assertIn("Invalid input JSON on line 1", body["message"])
        st, _, body = self.sb.call("POST", CREATE, raw=b"")
        self.assertEqual(st, 400)
        self.assertIn("a request body was expected", body["message"])
        st, _, body = self.sb.call("POST", SEARCH, {"filterGroups": []})  # spec requires 5 fields
        self.assertEqual(st, 400)
        self.assertEqual(self.meetings(), [])

    def test_201_shuffled_and_stored(self):
        inputs = [meeting("m%03d" % i, trace="t%d" % i, ics2hubspot_key="k%d" % i,
                          assoc=[("101", 200), ("201", 188), ("1234", 212), ("5678", 226)])
                  for i in range(100)]
        st, _, body = self.create(inputs)
        self.assertEqual(st, 201)
        self.assertEqual(body["status"], "COMPLETE")
        titles = [r["properties"]["hs_meeting_title"] for r in body["results"]]
        self.assertEqual(sorted(titles), ["m%03d" % i for i in range(100)])
        self.assertNotEqual(titles, sorted(titles), "results must be shuffled")
        self.assertNotIn("errors", body)
        r0 = body["results"][0]
        self.assertNotIn("objectWriteTraceId", r0)
        self.assertEqual(r0["properties"]["hs_timestamp"], "2023-11-14T22:13:20.000Z")
        self.assertFalse(r0["archived"])
        for k in ("createdAt", "updatedAt", "id"):
            self.assertIn(k, r0)
        stored = self.meetings()
        self.assertEqual(len(stored), 100)
        self.assertEqual(stored[0]["associations"], {"contacts": ["101"], "companies": ["201"],
                                                     "deals": ["1234"], "tickets": ["5678"]})

    def test_echo_trace_ids_config(self):
        self.sb.admin("POST", "config", {"echo_trace_ids": True})
        st, _, body = self.create([meeting("a", trace="uid-1:0")])
        self.assertEqual(st, 201)
        self.assertEqual(body["results"][0]["objectWriteTraceId"], "uid-1:0")

    def test_207_with_trace_ids(self):
        inputs = [meeting("good1", trace="g1"),
                  meeting("badprop", trace="b1", missing="x"),
                  meeting("good2", trace="g2", assoc=[("101", 200)]),
                  meeting("badassoc", trace="b2", assoc=[("999", 200)]),
                  meeting("badtype", trace="b3", assoc=[("101", 214)]),
                  meeting("badoutcome", trace="b4", hs_meeting_outcome="scheduled"),
                  meeting("badowner", trace="b5", hubspot_owner_id="999"),
                  meeting("baddate", trace="b6", ts="yesterday"),
                  {"properties": {"hs_meeting_title": "nots"}, "associations": [],
                   "objectWriteTraceId": "b7"}]
        st, _, body = self.create(inputs)
        self.assertEqual(st, 207)
        self.assertEqual(body["numErrors"], 7)
        self.assertEqual(len(body["results"]) + body["numErrors"], len(inputs))
        by_trace = {e["context"]["objectWriteTraceId"][0]: e for e in body["errors"]}
        self.assertEqual(sorted(by_trace), ["b1", "b2", "b3", "b4", "b5", "b6", "b7"])
        e = by_trace["b1"]
        self.assertEqual(e["category"], "VALIDATION_ERROR")
        self.assertIn("PROPERTY_DOESNT_EXIST", e["message"])
        self.assertTrue(e["message"].startswith("Property values were not valid: ["))
        self.assertIn("INVALID_OPTION", by_trace["b4"]["message"])
        self.assertIn("INVALID_OWNER_ID", by_trace["b5"]["message"])
        self.assertIn("hs_timestamp", by_trace["b7"]["message"])
        self.assertEqual(sorted(m["properties"]["hs_meeting_title"] for m in self.meetings()),
                         ["good1", "good2"])

    def test_whole_batch_400_without_trace_ids(self):
        for inputs in ([meeting("good"), meeting("bad", missing="x")],
                       [meeting("good", trace="same"), meeting("bad", trace="same", missing="x")]):
            st, _, body = self.create(inputs)
            self.assertEqual(st, 400)
            self.assertEqual(body["category"], "VALIDATION_ERROR")
            self.assertIn("PROPERTY_DOESNT_EXIST", body["message"])
            self.assertNotIn("objectWriteTraceId", body.get("context", {}))
            self.assertNotIn("results", body)
        self.assertEqual(self.meetings(), [])
        st, _, body = self.create([meeting("a"), meeting("b")])  # all valid: fine without ids
        self.assertEqual(st, 201)

    # ---- other meeting endpoints

    def test_update_archive_read_single(self):
        self.create([meeting("a", trace="1"), meeting("b", trace="2")])
        ids = sorted(m["id"] for m in self.meetings())
        st, _, body = self.sb.call("POST", "/crm/v3/objects/meetings/batch/update", {"inputs": [
            {"id": ids[0], "properties": {"hs_meeting_title": "A2"}},
            {"id": "424242", "properties": {"hs_meeting_title": "x"}}]})
        self.assertEqual(st, 207)
        self.assertEqual(body["errors"][0]["category"], "OBJECT_NOT_FOUND")
        self.assertEqual(body["errors"][0]["context"]["ids"], ["424242"])
        self.assertEqual(body["results"][0]["properties"]["hs_meeting_title"], "A2")
        st, _, body = self.sb.call("POST", "/crm/v3/objects/meetings/batch/update", {"inputs": [
            {"id": ids[1], "properties": {"hs_meeting_title": "B2"}}]})
        self.assertEqual(st, 200)
        st, _, body = self.sb.call("POST", "/crm/v3/objects/meetings/batch/archive",
                                   {"inputs": [{"id": ids[1]}, {"id": "777"}]})
        self.assertEqual(st, 204)
        st, _, body = self.sb.call("POST", "/crm/v3/objects/meetings/batch/read", {
            "inputs": [{"id": ids[0]}, {"id": ids[1]}], "properties": ["hs_meeting_title"],
            "propertiesWithHistory": []})
        self.assertEqual(st, 207)
        self.assertEqual([r["id"] for r in body["results"]], [ids[0]])
        self.assertEqual(body["results"][0]["properties"]["hs_meeting_title"], "A2")
        self.assertEqual(body["errors"][0]["context"]["ids"], [ids[1]])
        st, _, body = self.sb.call("GET", "/crm/v3/objects/meetings/%s?properties=hs_meeting_title"
                                   "&associations=contacts" % ids[0])
        self.assertEqual((st, body["properties"]["hs_meeting_title"]), (200, "A2"))
        st, _, body = self.sb.call("PATCH", "/crm/v3/objects/meetings/" + ids[0],
                                   {"properties": {"hs_meeting_outcome": "CANCELED"}})
        self.assertEqual((st, body["properties"]["hs_meeting_outcome"]), (200, "CANCELED"))
        st, _, _ = self.sb.call("GET", "/crm/v3/objects/meetings/" + ids[1])
        self.assertEqual(st, 404)
        st, _, _ = self.sb.call("DELETE", "/crm/v3/objects/meetings/" + ids[0])
        self.assertEqual(st, 204)
        self.assertTrue(all(m["archived"] for m in self.meetings()))
        st, _, body = self.sb.call("POST", "/crm/v3/objects/meetings/batch/upsert", {"inputs": [
            {"id": "k", "idProperty": "ics2hubspot_key", "properties": {}}]})
        self.assertEqual(st, 400)
        self.assertIn("non-unique 0-47 property ics2hubspot_key", body["message"])

    def test_properties(self):
        st, _, body = self.sb.call("GET", "/crm/v3/properties/meetings")
        self.assertEqual(st, 200)
        props = {p["name"]: p for p in body["results"]}
        self.assertEqual([o["value"] for o in props["hs_meeting_outcome"]["options"]],
                         ["SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED"])
        self.assertIn("ics2hubspot_key", props)

    # ---- a fresh portal: properties, groups, account, scopes, options

    def test_fresh_portal_has_no_identity_property_until_created(self):
        self.sb.admin("POST", "reset", {"schema": False})
        try:
            st, _, _ = self.sb.call("GET", "/crm/v3/properties/meetings/ics2hubspot_key")
            self.assertEqual(st, 404)
            st, _, body = self.create([meeting("a", trace="1", ics2hubspot_key="k")])
            self.assertEqual(st, 207)
            self.assertIn("PROPERTY_DOESNT_EXIST", body["errors"][0]["message"])
            prop = {"name": "ics2hubspot_key", "label": "k", "type": "string",
                    "fieldType": "text", "groupName": "ics2hubspot"}
            st, _, body = self.sb.call("POST", "/crm/v3/properties/meetings", prop)
            self.assertEqual(st, 400)  # the group does not exist yet
            self.assertIn("ics2hubspot", body["message"])
            st, _, body = self.sb.call("GET", "/crm/v3/properties/meetings/groups")
            self.assertIn("meetinginformation", [g["name"] for g in body["results"]])
            group = {"name": "ics2hubspot", "label": "ics2hubspot"}
            self.assertEqual(self.sb.call("POST", "/crm/v3/properties/meetings/groups", group)[0],
                             201)
            self.assertEqual(self.sb.call("POST", "/crm/v3/properties/meetings/groups", group)[0],
                             409)
            self.assertEqual(self.sb.call("POST", "/crm/v3/properties/meetings", prop)[0], 201)
            st, _, body = self.sb.call("POST", "/crm/v3/properties/meetings", prop)
            self.assertEqual((st, body["category"]), (409, "OBJECT_ALREADY_EXISTS"))
            st, _, body = self.sb.call("GET", "/crm/v3/properties/meetings/ics2hubspot_key")
            self.assertEqual((st, body["type"], body["groupName"]), (200, "string", "ics2hubspot"))
            self.assertEqual(self.create([meeting("a", trace="1", ics2hubspot_key="k")])[0], 201)
        finally:
            self.make_identity_property(self.sb)

    def test_property_archive(self):
        try:
            st, _, body = self.sb.call("DELETE", "/crm/v3/properties/meetings/hs_meeting_title")
            self.assertEqual(st, 400)  # HubSpot's own properties cannot be archived
            self.assertEqual(self.sb.call("DELETE",
                                          "/crm/v3/properties/meetings/ics2hubspot_key")[0], 204)
            self.assertEqual(self.sb.call("GET",
                                          "/crm/v3/properties/meetings/ics2hubspot_key")[0], 404)
            self.assertEqual(self.sb.call("DELETE",
                                          "/crm/v3/properties/meetings/ics2hubspot_key")[0], 404)
            st, _, body = self.create([meeting("a", trace="1", ics2hubspot_key="k")])
            self.assertEqual(st, 207)
            self.assertIn("PROPERTY_DOESNT_EXIST", body["errors"][0]["message"])
        finally:
            self.make_identity_property(self.sb)

    def test_account_info_and_token_info_name_the_portal(self):
        self.assertEqual(self.sb.call("GET", "/account-info/v3/details")[2]["uiDomain"],
                         "app.hubspot.com")
        self.sb.admin("POST", "config", {"portal_id": 987654, "ui_domain": "app-eu1.hubspot.com"})
        try:
            st, _, body = self.sb.call("GET", "/account-info/v3/details")
            self.assertEqual((st, body["portalId"], body["uiDomain"]),
                             (200, 987654, "app-eu1.hubspot.com"))
            self.sb.admin("POST", "config", {"token_kind": "private-app"})
            st, _, body = self.sb.call("POST", "/oauth/v2/private-apps/get/access-token-info",
                                       {"tokenKey": TOKEN})
            self.assertEqual((st, body["hubId"]), (200, 987654))
            self.assertIn("crm.objects.contacts.write", body["scopes"])
            st, _, _ = self.sb.call("POST", "/oauth/v2/private-apps/get/access-token-info",
                                    {"tokenKey": "another"})
            self.assertEqual(st, 401)
        finally:
            self.sb.admin("POST", "config", {"portal_id": 12345678, "ui_domain": "app.hubspot.com"})

    def test_missing_scope_is_403_naming_it(self):
        every = self.sb.admin("GET", "config")["config"]["scopes"]
        self.sb.admin("POST", "config", {"scopes": ["crm.objects.contacts.read"]})
        try:
            st, _, body = self.create([meeting("a")])
            self.assertEqual((st, body["category"]), (403, "MISSING_SCOPES"))
            self.assertEqual(body["errors"][0]["context"]["requiredGranularScopes"],
                             ["crm.objects.contacts.write"])
            self.assertEqual(self.sb.call("GET", "/account-info/v3/details")[0], 403)
            self.assertEqual(self.sb.call("GET", "/crm/v3/properties/meetings")[0], 200)
            self.assertEqual(self.meetings(), [])
        finally:
            self.sb.admin("POST", "config", {"scopes": every})

    def test_location_type_and_activity_type_take_options_only(self):
        st, _, body = self.create([meeting("a", trace="1", hs_meeting_location_type="PHONE"),
                                   meeting("b", trace="2", hs_meeting_location_type="ZOOM"),
                                   meeting("c", trace="3", hs_activity_type="Intro call")])
        self.assertEqual(st, 207)
        self.assertEqual(len(body["results"]), 1)
        self.assertTrue(all("INVALID_OPTION" in e["message"] for e in body["errors"]))
        self.sb.admin("POST", "config", {"activity_types": ["Intro call"]})
        try:
            st, _, _ = self.create([meeting("c", trace="3", hs_activity_type="Intro call")])
            self.assertEqual(st, 201)
        finally:
            self.sb.admin("POST", "config", {"activity_types": []})

    def search(self, body, path=SEARCH):
        """Search, staying under the 5 requests/second search limit."""
        last = getattr(self, "_last_search", 0)
        time.sleep(max(0, last + 0.21 - time.time()))
        self._last_search = time.time()
        return self.sb.call("POST", path, body)

    def test_search(self):
        inputs = [meeting("m%d" % i, ts=str(1700000000000 + i * 1000), trace=str(i),
                          ics2hubspot_key="key-%d" % i) for i in range(25)]
        inputs[0]["properties"]["hs_meeting_outcome"] = "SCHEDULED"
        self.create(inputs)
        st, h, body = self.search(search_body(
            [{"propertyName": "ics2hubspot_key", "operator": "EQ", "value": "KEY-3"}],
            props=["ics2hubspot_key"]))
        self.assertEqual(st, 200)
        self.assertEqual(body["total"], 1)
        self.assertEqual(body["results"][0]["properties"]["ics2hubspot_key"], "key-3")
        self.assertIn("hs_object_id", body["results"][0]["properties"])
        self.assertFalse([k for k in h if k.startswith("x-hubspot-ratelimit")])
        st, _, body = self.search(search_body(
            [{"propertyName": "ics2hubspot_key", "operator": "IN", "values": ["key-1", "key-2", "KEY-4"]}]))
        self.assertEqual(body["total"], 2)  # IN needs lower-case values
        st, _, body = self.search(search_body(
            [{"propertyName": "hs_timestamp", "operator": "GTE", "value": "1700000020000"}]))
        self.assertEqual(body["total"], 5)
        st, _, body = self.search(search_body(
            [{"propertyName": "hs_meeting_outcome", "operator": "HAS_PROPERTY"}]))
        self.assertEqual(body["total"], 1)
        # filter groups are ORed, filters in a group ANDed; NOT_HAS_PROPERTY (the importer's probe)
        st, _, body = self.search({"filterGroups": [
            {"filters": [{"propertyName": "hs_meeting_outcome", "operator": "HAS_PROPERTY"}]},
            {"filters": [{"propertyName": "ics2hubspot_key", "operator": "IN",
                          "values": ["key-0", "key-1", "key-2"]},
                         {"propertyName": "hs_meeting_outcome", "operator": "NOT_HAS_PROPERTY"}]}],
            "sorts": [], "properties": [], "limit": 10, "after": "0"})
        self.assertEqual((st, body.get("total")), (200, 3), body)
        # paging
        st, _, p1 = self.search(search_body([], limit=10))
        self.assertEqual((p1["total"], len(p1["results"]), p1["paging"]["next"]["after"]), (25, 10, "10"))
        st, _, p3 = self.search(search_body([], limit=10, after="20"))
        self.assertEqual(len(p3["results"]), 5)
        self.assertNotIn("paging", p3)
        # archived excluded
        ids = [m["id"] for m in self.meetings()][:5]
        self.sb.call("POST", "/crm/v3/objects/meetings/batch/archive", {"inputs": [{"id": i} for i in ids]})
        st, _, body = self.search(search_body([], limit=200))
        self.assertEqual(body["total"], 20)
        for bad in (search_body([], limit=201), search_body([], after="10000"),
                    search_body([{"propertyName": "nope", "operator": "EQ", "value": "x"}])):
            st, _, body = self.search(bad)
            self.assertEqual(st, 400, bad)
            self.assertEqual(body["category"], "VALIDATION_ERROR")

    def test_search_delay(self):
        self.sb.admin("POST", "config", {"search_delay_ms": 300})
        self.create([meeting("late", trace="1", ics2hubspot_key="late")])
        f = [{"propertyName": "ics2hubspot_key", "operator": "EQ", "value": "late"}]
        self.assertEqual(self.search(search_body(f))[2]["total"], 0)
        time.sleep(0.4)
        self.assertEqual(self.search(search_body(f))[2]["total"], 1)

    # ---- contacts, companies, owners

    def test_contacts_batch_read_grouped_207(self):
        st, _, body = self.sb.call("POST", "/crm/v3/objects/contacts/batch/read", {
            "idProperty": "email", "properties": ["email", "firstname"], "propertiesWithHistory": [],
            "inputs": [{"id": "A@X.com"}, {"id": "nobody@z.com"}, {"id": "bob@y.com"},
                       {"id": "ghost@z.com"}]})
        self.assertEqual(st, 207)
        self.assertEqual(sorted(r["properties"]["email"] for r in body["results"]),
                         ["a@x.com", "bob@y.com"])
        self.assertEqual(body["numErrors"], 1)
        e = body["errors"][0]
        self.assertEqual(e["category"], "OBJECT_NOT_FOUND")
        self.assertEqual(e["message"], "Could not get some CONTACT objects, they may be deleted or "
                         "not exist. Check that ids are valid.")
        self.assertEqual(sorted(e["context"]["ids"]), ["ghost@z.com", "nobody@z.com"])
        st, _, body = self.sb.call("POST", "/crm/v3/objects/contacts/batch/read", {
            "idProperty": "email", "properties": [], "propertiesWithHistory": [],
            "inputs": [{"id": "a@x.com"}]})
        self.assertEqual((st, body["results"][0]["id"]), (200, "101"))

    def test_contacts_upsert(self):
        st, _, body = self.sb.call("POST", "/crm/v3/objects/contacts/batch/upsert", {"inputs": [
            {"id": "a@x.com", "idProperty": "email", "properties": {"lastname": "Smith"}},
            {"id": "New@Z.com", "idProperty": "email", "properties": {"firstname": "Neu"}}]})
        self.assertEqual(st, 200)
        by_email = {r["properties"]["email"]: r for r in body["results"]}
        self.assertFalse(by_email["a@x.com"]["new"])
        self.assertEqual(by_email["a@x.com"]["id"], "101")
        self.assertTrue(by_email["new@z.com"]["new"])
        contacts = {c["properties"]["email"]: c for c in self.sb.admin("GET", "contacts")["contacts"]}
        self.assertEqual(contacts["a@x.com"]["properties"]["lastname"], "Smith")
        self.assertIn("new@z.com", contacts)
        st, _, body = self.sb.call("POST", "/crm/v3/objects/contacts/batch/upsert", {"inputs": [
            {"id": "bad-email", "idProperty": "email", "properties": {}}]})
        self.assertEqual(st, 400)
        self.assertIn("INVALID_EMAIL", body["message"])
        # a new meeting can now be associated with the upserted contact
        st, _, _ = self.create([meeting("m", trace="1", assoc=[(by_email["new@z.com"]["id"], 200)])])
        self.assertEqual(st, 201)

    def test_contacts_create_conflict(self):
        st, _, body = self.sb.call("POST", "/crm/v3/objects/contacts/batch/create", {"inputs": [
            {"properties": {"email": "fresh@z.com"}, "associations": []},
            {"properties": {"email": "A@x.com"}, "associations": []}]})
        self.assertEqual(st, 409)
        self.assertEqual(body["category"], "CONFLICT")
        self.assertEqual(body["message"], "Contact already exists. Existing ID: 101")
        st, _, body = self.sb.call("POST", "/crm/v3/objects/contacts/batch/create", {"inputs": [
            {"properties": {"email": "fresh@z.com"}, "associations": [], "objectWriteTraceId": "1"},
            {"properties": {"email": "a@x.com"}, "associations": [], "objectWriteTraceId": "2"}]})
        self.assertEqual(st, 207)
        self.assertEqual(body["errors"][0]["context"]["objectWriteTraceId"], ["2"])
        self.assertEqual(body["results"][0]["properties"]["email"], "fresh@z.com")

    def test_companies_search(self):
        f = [{"propertyName": "domain", "operator": "IN", "values": ["x.com", "Y.COM", "z.com"]}]
        st, _, body = self.search(search_body(f, props=["domain", "name"]),
                                  "/crm/v3/objects/companies/search")
        self.assertEqual(st, 200)
        self.assertEqual([r["properties"]["domain"] for r in body["results"]], ["x.com"])

    def test_owners_paging(self):
        st, _, p1 = self.sb.call("GET", "/crm/v3/owners?limit=2")
        self.assertEqual(st, 200)
        self.assertEqual([o["id"] for o in p1["results"]], ["301", "302"])
        after = p1["paging"]["next"]["after"]
        seen = [o["id"] for o in p1["results"]]
        while after:
            _, _, p = self.sb.call("GET", "/crm/v3/owners?limit=2&after=" + after)
            seen += [o["id"] for o in p["results"]]
            after = p.get("paging", {}).get("next", {}).get("after")
        self.assertEqual(seen, ["301", "302", "303", "304", "305"])
        _, _, p = self.sb.call("GET", "/crm/v3/owners?email=REP2@mycompany.example")
        self.assertEqual([(o["id"], o["firstName"]) for o in p["results"]], [("303", "Rep2")])
        _, _, p = self.sb.call("GET", "/crm/v3/owners")
        self.assertEqual(len(p["results"]), 5)
        self.assertNotIn("paging", p)
        st, _, o = self.sb.call("GET", "/crm/v3/owners/304")
        self.assertEqual((st, o["email"]), (200, "rep3@mycompany.example"))

    def test_v4_associations(self):
        self.create([meeting("a", trace="1")])
        mid = self.meetings()[0]["id"]
        path = "/crm/v4/associations/meetings/contacts/batch/create"
        spec = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 200}]
        st, _, body = self.sb.call("POST", path, {"inputs": [
            {"from": {"id": mid}, "to": {"id": "101"}, "types": spec}]})
        self.assertEqual(st, 201)
        self.assertEqual(body["results"][0]["toObjectId"], "101")
        self.assertEqual(body["results"][0]["fromObjectTypeId"], "0-47")
        st, _, body = self.sb.call("POST", path, {"inputs": [
            {"from": {"id": mid}, "to": {"id": "102"}, "types": spec},
            {"from": {"id": mid}, "to": {"id": "999"}, "types": spec},
            {"from": {"id": "1"}, "to": {"id": "101"}, "types": spec}]})
        self.assertEqual((st, body["numErrors"], len(body["results"])), (207, 2, 1))
        st, _, body = self.sb.call("POST", "/crm/v4/associations/meetings/companies/batch/create",
                                   {"inputs": [{"from": {"id": mid}, "to": {"id": "201"}, "types": spec}]})
        self.assertEqual(st, 207)  # 200 is not meeting->company
        self.assertEqual(self.meetings()[0]["associations"]["contacts"], ["101", "102"])
        st, _, _ = self.sb.call("POST", "/crm/v4/associations/meetings/contacts/batch/archive",
                                {"inputs": [{"from": {"id": mid}, "to": [{"id": "101"}]}]})
        self.assertEqual(st, 204)
        self.assertEqual(self.meetings()[0]["associations"]["contacts"], ["102"])
        st, _, body = self.sb.call("POST", "/crm/v4/associations/meetings/contacts/batch/create",
                                   {"inputs": [{"from": {"id": mid}, "to": {"id": 101}, "types": spec}]})
        self.assertEqual(st, 400)  # to.id must be a string per the spec

    # ---- faults

    def fault(self, **f):
        f.setdefault("method", "POST")
        f.setdefault("path", CREATE)
        self.sb.admin("POST", "faults", {"faults": [f]})

    def test_fault_status(self):
        self.fault(action="status", status=503, skip=1, count=1)
        st1, _, _ = self.create([meeting("a", trace="1")])
        st2, _, body = self.create([meeting("b", trace="1")])
        st3, _, _ = self.create([meeting("c", trace="1")])
        self.assertEqual((st1, st2, st3), (201, 503, 201))
        self.assertEqual(body["status"], "error")
        self.assertIn("correlationId", body)
        self.assertEqual(sorted(m["properties"]["hs_meeting_title"] for m in self.meetings()),
                         ["a", "c"])

    def test_fault_reset(self):
        self.fault(action="reset")
        with self.assertRaises((ConnectionError, http.client.HTTPException, socket.error)):
            self.create([meeting("a", trace="1")])
        self.assertEqual(self.meetings(), [])
        self.assertEqual(self.create([meeting("a", trace="1")])[0], 201)
        reqs = self.sb.admin("GET", "requests")["requests"]
        self.assertEqual([(r["status"], r.get("fault")) for r in reqs], [(0, "reset"), (201, None)])

    def test_fault_slow(self):
        self.fault(action="slow", delay_ms=300)
        t0 = time.time()
        st, _, _ = self.create([meeting("a", trace="1")])
        self.assertEqual(st, 201)
        self.assertGreaterEqual(time.time() - t0, 0.3)
        c = self.sb.conn(timeout=0.1)
        self.fault(action="slow", delay_ms=400)
        with self.assertRaises(socket.timeout):
            self.sb.call("POST", CREATE, {"inputs": [meeting("b", trace="1")]}, conn=c)
        c.close()
        time.sleep(0.4)
        self.assertEqual(len(self.meetings()), 2)  # slow requests are still handled

    def test_fault_truncate(self):
        self.fault(action="truncate")
        c = self.sb.conn()
        c.request("POST", CREATE, body=json.dumps({"inputs": [meeting("a", trace="1")]}),
                  headers={"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"})
        r = c.getresponse()
        self.assertEqual(r.status, 201)
        with self.assertRaises(http.client.IncompleteRead):
            r.read()
        c.close()
        self.assertEqual(len(self.meetings()), 1)  # stored
        self.fault(action="truncate", declared="cut")
        st, _, body = self.create([meeting("b", trace="1")])
        self.assertEqual(st, 201)
        self.assertIsInstance(body, bytes)  # valid length, invalid JSON
        self.assertEqual(len(self.meetings()), 2)

    def test_fault_store_then_status(self):
        self.fault(action="store_then_status", status=502)
        st, h, body = self.create([meeting("a", trace="1")])
        self.assertEqual(st, 502)
        self.assertTrue(h["content-type"].startswith("text/html"))
        self.assertIn(b"502 Bad Gateway", body)
        self.assertEqual(len(self.meetings()), 1)
        self.fault(action="store_then_status", status=504, body="empty")
        st, h, body = self.create([meeting("b", trace="1")])
        self.assertEqual((st, h["content-length"], body), (504, "0", None))
        self.assertEqual(len(self.meetings()), 2)

    def test_fault_rate_limit(self):
        self.fault(action="rate_limit", count=2)
        st, h, body = self.create([meeting("a", trace="1")])
        self.assertEqual(st, 429)
        self.assertEqual(body["policyName"], "TEN_SECONDLY_ROLLING")
        self.fault(action="rate_limit", policy="DAILY")
        st, h, body = self.create([meeting("a", trace="1")])
        self.assertEqual((st, body["policyName"], body["message"]),
                         (429, "DAILY", "You have reached your daily limit."))
        self.fault(action="rate_limit", method="POST", path="/crm/v3/objects/*")
        st, h, body = self.sb.call("POST", SEARCH, search_body([]))
        self.assertEqual((st, body["policyName"]), (429, "SECONDLY"))
        self.assertEqual(self.meetings(), [])
        self.fault(action="explode")
        self.assertEqual(self.sb.call("POST", "/_sandbox/faults", {"faults": [{"action": "x"}]},
                                      token=None)[0], 400)

    # ---- admin

    def test_admin_stats_requests_log_reset_seed(self):
        self.create([meeting("a", trace="1"), meeting("b", trace="2")])
        self.sb.call("GET", "/crm/v3/owners")
        self.sb.call("GET", "/crm/v3/owners", token="wrong")
        stats = self.sb.admin("GET", "stats")
        self.assertEqual(stats["requests"], 3)
        self.assertEqual(stats["by_path"], {"POST " + CREATE: 1, "GET /crm/v3/owners": 2})
        self.assertEqual(stats["status"], {"201": 1, "200": 1, "401": 1})
        self.assertEqual(stats["writes"], 1)
        reqs = self.sb.admin("GET", "requests")["requests"]
        self.assertEqual(reqs[0]["inputs"], 2)
        self.assertEqual(reqs[0]["method"], "POST")
        self.assertEqual(reqs[0]["status"], 201)
        self.assertIsInstance(reqs[0]["at"], int)
        self.assertNotIn("body", reqs[0])
        full = self.sb.admin("GET", "requests?bodies=1")["requests"]
        self.assertEqual(full[0]["body"]["inputs"][0]["objectWriteTraceId"], "1")
        with open(self.sb.log) as f:
            text = f.read()
        self.assertIn(CREATE, text)
        self.assertNotIn(TOKEN, text)
        self.assertNotIn("Authorization", text)
        self.assertNotIn("wrong", text)
        # seed adds, reset keeps seed and forgets the rest
        self.sb.admin("POST", "seed", {"contacts": [{"id": "150", "email": "c@x.com"}]})
        self.sb.call("POST", "/crm/v3/objects/contacts/batch/upsert", {"inputs": [
            {"id": "tmp@x.com", "idProperty": "email", "properties": {}}]})
        self.sb.admin("POST", "faults", {"faults": [{"action": "reset"}]})
        self.sb.admin("POST", "reset")
        emails = sorted(c["properties"]["email"] for c in self.sb.admin("GET", "contacts")["contacts"])
        self.assertEqual(emails, ["a@x.com", "bob@y.com", "c@x.com"])
        self.assertEqual(self.meetings(), [])
        self.assertEqual(self.sb.admin("GET", "stats")["requests"], 0)
        self.assertEqual(self.sb.admin("GET", "faults")["faults"], [])
        self.sb.admin("POST", "reset", {"seed": False})
        self.assertEqual(self.sb.admin("GET", "contacts")["contacts"], [])
        self.sb.admin("POST", "seed", SEED)
        cfg = self.sb.admin("POST", "config", {"latency_ms": 0})
        self.assertEqual(cfg["config"]["rate_max"], 100)
        self.assertEqual(self.sb.call("GET", "/_sandbox/nope", token=None)[0], 404)


def dated(version, legacy_path):
    """The date-versioned path of a legacy one (HubSpot's 2026-09 / 2026-03 path forms)."""
    for old, new in (("/crm/v3/objects/", "/crm/objects/%s/"),
                     ("/crm/v4/objects/", "/crm/objects/%s/"),
                     ("/crm/v3/properties/", "/crm/properties/%s/"),
                     ("/crm/v4/associations/", "/crm/associations/%s/"),
                     ("/account-info/v3/", "/account-info/%s/")):
        if legacy_path.startswith(old):
            return (new % version) + legacy_path[len(old):]
    if legacy_path.startswith("/crm/v3/owners"):
        return "/crm/owners/" + version + legacy_path[len("/crm/v3/owners"):]
    raise ValueError(legacy_path)


VERSIONS = ("2026-09", "2026-03")
SPEC = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 200}]


class DateVersionTest(unittest.TestCase):
    """HubSpot's date-based versions (2026-09, the current one, and 2026-03) beside legacy."""

    sb = None
    # the fixture of SandboxTest (a sandbox of its own), not its tests
    setUpClass = classmethod(SandboxTest.setUpClass.__func__)
    tearDownClass = classmethod(SandboxTest.tearDownClass.__func__)
    make_identity_property = staticmethod(SandboxTest.make_identity_property)
    setUp = SandboxTest.setUp
    create = SandboxTest.create
    meetings = SandboxTest.meetings

    def stats(self):
        return self.sb.admin("GET", "stats")

    def v(self, version, method, legacy_path, body=None, **kw):
        return self.sb.call(method, dated(version, legacy_path) if version else legacy_path, body, **kw)

    def test_every_operation_at_the_dated_paths(self):
        for version in VERSIONS:
            self.sb.admin("POST", "reset")
            c = lambda m, p, b=None: self.v(version, m, p, b)  # noqa: E731
            seen = []

            def ok(expect, m, p, b=None):
                st, _, body = c(m, p, b)
                self.assertEqual(st, expect, (version, m, p, body))
                seen.append("%s %s" % (m, dated(version, p)))
                return body
            ok(200, "GET", "/account-info/v3/details")
            ok(200, "GET", "/crm/v3/properties/meetings")
            ok(200, "GET", "/crm/v3/properties/meetings/ics2hubspot_key")
            ok(200, "GET", "/crm/v3/properties/meetings/groups")
            ok(200, "GET", "/crm/v3/properties/meetings/groups/ics2hubspot")
            ok(409, "POST", "/crm/v3/properties/meetings/groups", {"name": "ics2hubspot", "label": "x"})
            ok(201, "POST", "/crm/v3/properties/meetings/groups", {"name": "g" + version[-2:], "label": "G"})
            ok(201, "POST", "/crm/v3/properties/meetings",
               {"name": "p" + version[-2:], "label": "P", "type": "string", "fieldType": "text",
                "groupName": "ics2hubspot"})
            ok(204, "DELETE", "/crm/v3/properties/meetings/p" + version[-2:])
            self.assertEqual(ok(200, "GET", "/crm/v3/owners?limit=2")["paging"]["next"]["after"], "2")
            ok(200, "GET", "/crm/v3/owners/301")
            body = ok(201, "POST", "/crm/v3/objects/meetings/batch/create",
                      {"inputs": [meeting("a", trace="1", assoc=[("101", 200)]), meeting("b", trace="2")]})
            ids = sorted(r["id"] for r in body["results"])
            ok(200, "POST", "/crm/v3/objects/meetings/batch/update",
               {"inputs": [{"id": ids[0], "properties": {"hs_meeting_title": "A2"}}]})
            body = ok(200, "POST", "/crm/v3/objects/meetings/batch/read",
                      {"inputs": [{"id": ids[0]}], "properties": ["hs_meeting_title"],
                       "propertiesWithHistory": []})
            self.assertEqual(body["results"][0]["properties"]["hs_meeting_title"], "A2")
            self.assertEqual(ok(200, "POST", SEARCH, search_body([]))["total"], 2)
            ok(200, "GET", "/crm/v3/objects/meetings?limit=1")
            ok(200, "GET", "/crm/v3/objects/meetings/" + ids[0])
            ok(200, "PATCH", "/crm/v3/objects/meetings/" + ids[0], {"properties": {"hs_meeting_title": "A3"}})
            single = ok(201, "POST", "/crm/v3/objects/meetings", meeting("c"))["id"]
            ok(204, "DELETE", "/crm/v3/objects/meetings/" + single)
            ok(400, "POST", "/crm/v3/objects/meetings/batch/upsert",
               {"inputs": [{"id": "k", "idProperty": "ics2hubspot_key", "properties": {}}]})
            ok(200, "POST", "/crm/v3/objects/contacts/batch/read",
               {"inputs": [{"id": "a@x.com"}], "idProperty": "email", "properties": ["email"],
                "propertiesWithHistory": []})
            ok(200, "POST", "/crm/v3/objects/contacts/batch/upsert",
               {"inputs": [{"id": "new@x.com", "idProperty": "email", "properties": {"firstname": "N"}}]})
            ok(200, "POST", "/crm/v3/objects/companies/search", search_body(
                [{"propertyName": "domain", "operator": "IN", "values": ["x.com"]}], props=["domain"]))
            a = "/crm/v4/associations/meetings/contacts/batch/"
            ok(201 if version == "2026-03" else 200, "POST", a + "create",
               {"inputs": [{"from": {"id": ids[1]}, "to": {"id": "102"}, "types": SPEC}]})
            ok(200, "POST", a + "associate/default",
               {"inputs": [{"from": {"id": ids[1]}, "to": {"id": "101"}}]})
            ok(200, "POST", a + "read", {"inputs": [{"id": ids[1]}]})
            ok(204 if version == "2026-03" else 200, "POST", a + "labels/archive",
               {"inputs": [{"from": {"id": ids[1]}, "to": {"id": "101"}, "types": SPEC}]})
            ok(204 if version == "2026-03" else 200, "POST", a + "archive",
               {"inputs": [{"from": {"id": ids[1]}, "to": [{"id": "102"}]}]})
            ok(200, "PUT", "/crm/v4/objects/meetings/%s/associations/default/contacts/101" % ids[0])
            ok(204, "DELETE", "/crm/v4/objects/meetings/%s/associations/contacts/101" % ids[0])
            ok(204, "POST", "/crm/v3/objects/meetings/batch/archive", {"inputs": [{"id": ids[1]}]})
            stored = {m["id"]: m for m in self.meetings()}
            self.assertTrue(stored[ids[1]]["archived"])
            self.assertEqual(stored[ids[0]]["associations"]["contacts"], [])
            self.assertEqual(stored[ids[0]]["properties"]["hs_meeting_title"], "A3")
            st = self.stats()
            self.assertEqual(st["by_version"], {"legacy": 0,
                                                "2026-09": len(seen) if version == "2026-09" else 0,
                                                "2026-03": len(seen) if version == "2026-03" else 0})
            self.assertEqual(st["legacy_paths"], {})
            self.assertEqual(st["requests"], len(seen))
            reqs = self.sb.admin("GET", "requests")["requests"]
            self.assertEqual({r["version"] for r in reqs}, {version})

    def test_operations_the_versions_do_not_have(self):
        self.create([meeting("a", trace="1")])
        mid = self.meetings()[0]["id"]
        # not in associations-2026-09.json (legacy v4 only), and no dated token-info
        st, _, _ = self.v("2026-09", "GET", "/crm/v4/objects/meetings/%s/associations/contacts" % mid)
        self.assertEqual(st, 404)
        st, _, _ = self.sb.call("GET", "/crm/v4/objects/meetings/%s/associations/contacts" % mid)
        self.assertEqual(st, 200)
        for path in ("/crm/objects/2025-09/meetings/batch/read",
                     "/oauth/2026-09/private-apps/get/access-token-info"):
            self.assertEqual(self.sb.call("POST", path, {"inputs": []})[0], 404, path)
        self.assertEqual(self.stats()["by_version"]["2025-09"], 1)

    def test_partial_failures_2026_09_own_status_2026_03_and_legacy_207(self):
        expect = {"2026-09": (201, 200), "2026-03": (207, 207), None: (207, 207)}
        for version, (create_st, other_st) in expect.items():
            self.sb.admin("POST", "reset")
            st, _, body = self.v(version, "POST", CREATE, {"inputs": [
                meeting("good", trace="g"), meeting("bad", trace="b", missing="x")]})
            self.assertEqual((st, body["numErrors"], len(body["results"])), (create_st, 1, 1), version)
            e = body["errors"][0]
            self.assertEqual(e["context"]["objectWriteTraceId"], ["b"])
            self.assertIn("PROPERTY_DOESNT_EXIST", e["message"])
            if version:  # the date versions' StandardError members
                self.assertEqual((e["links"], e["errors"][0]["code"]), ({}, "PROPERTY_DOESNT_EXIST"))
            else:
                self.assertNotIn("links", e)
            good = body["results"][0]["id"]
            st, _, body = self.v(version, "POST", "/crm/v3/objects/meetings/batch/update", {"inputs": [
                {"id": good, "properties": {"hs_meeting_title": "G2"}},
                {"id": "424242", "properties": {"hs_meeting_title": "x"}}]})
            self.assertEqual((st, body["errors"][0]["context"]["ids"]), (other_st, ["424242"]), version)
            st, _, body = self.v(version, "POST", "/crm/v3/objects/meetings/batch/read", {
                "inputs": [{"id": good}, {"id": "424242"}], "properties": [], "propertiesWithHistory": []})
            self.assertEqual((st, body["numErrors"], body["errors"][0]["category"]),
                             (other_st, 1, "OBJECT_NOT_FOUND"), version)
            a = "/crm/v4/associations/meetings/contacts/batch/"
            st, _, body = self.v(version, "POST", a + "create", {"inputs": [
                {"from": {"id": good}, "to": {"id": "101"}, "types": SPEC},
                {"from": {"id": good}, "to": {"id": "999"}, "types": SPEC}]})
            self.assertEqual((st, body["numErrors"], len(body["results"])),
                             (200 if version == "2026-09" else 207, 1, 1), version)
            st, _, body = self.v(version, "POST", a + "read", {"inputs": [{"id": good}, {"id": "1"}]})
            self.assertEqual((st, body["numErrors"]), (200 if version == "2026-09" else 207, 1), version)
            # whole-request 4xx stay what they were
            st, _, body = self.v(version, "POST", CREATE,
                                 {"inputs": [meeting("m", trace=str(i)) for i in range(101)]})
            self.assertEqual(st, 400)
            st, _, body = self.v(version, "POST", CREATE, {"inputs": [meeting("a"), meeting("b", missing="x")]})
            self.assertEqual((st, body["category"]), (400, "VALIDATION_ERROR"))
        self.assertEqual(sorted(m["properties"]["hs_meeting_title"] for m in self.meetings()), ["G2"])

    def test_association_archive_2026_09_answers_200_with_a_body(self):
        self.create([meeting("a", trace="1", assoc=[("101", 200), ("102", 200)])])
        mid = self.meetings()[0]["id"]
        path = "/crm/associations/2026-09/meetings/contacts/batch/archive"
        st, h, body = self.sb.call("POST", path,
                                   {"inputs": [{"from": {"id": mid}, "to": [{"id": "101"}]}]})
        self.assertEqual(st, 200)
        self.assertEqual((body["status"], body["results"]), ("COMPLETE", []))
        self.assertNotIn("errors", body)
        for k in ("startedAt", "completedAt"):
            self.assertRegex(body[k], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(self.meetings()[0]["associations"]["contacts"], ["102"])
        st, _, body = self.sb.call(
            "POST", "/crm/associations/2026-09/meetings/contacts/batch/labels/archive",
            {"inputs": [{"from": {"id": mid}, "to": {"id": "102"}, "types": SPEC}]})
        self.assertEqual((st, body["status"]), (200, "COMPLETE"))
        self.assertEqual(self.meetings()[0]["associations"]["contacts"], [])
        for path in ("/crm/associations/2026-03/meetings/contacts/batch/archive",
                     "/crm/v4/associations/meetings/contacts/batch/archive"):
            st, h, body = self.sb.call("POST", path,
                                       {"inputs": [{"from": {"id": mid}, "to": [{"id": "1"}]}]})
            self.assertEqual((st, h["content-length"], body), (204, "0", None), path)

    def test_token_kind(self):
        info = "/oauth/v2/private-apps/get/access-token-info"
        self.assertEqual(self.sb.admin("GET", "config")["config"]["token_kind"], "service-key")
        st, _, body = self.sb.call("POST", info, {"tokenKey": TOKEN})
        self.assertEqual((st, body["status"], body["category"]), (404, "error", "OBJECT_NOT_FOUND"))
        self.assertIn("correlationId", body)
        self.assertTrue(body["message"])
        self.sb.admin("POST", "config", {"token_kind": "private-app"})
        st, _, body = self.sb.call("POST", info, {"tokenKey": TOKEN})
        self.assertEqual((st, body["hubId"]), (200, 12345678))
        st, _, body = self.sb.call("POST", "/_sandbox/config", {"token_kind": "oauth"}, token=None)
        self.assertEqual(st, 400)
        self.assertEqual(self.stats()["legacy_paths"], {"POST " + info: 2})

    def required_error(self, e, name="hs_meeting_outcome"):
        self.assertEqual(e["category"], "VALIDATION_ERROR")
        self.assertTrue(e["message"].startswith("Property values were not valid: [{"), e["message"])
        inner = json.loads(e["message"][len("Property values were not valid: "):])
        self.assertEqual((inner[0]["isValid"], inner[0]["error"], inner[0]["name"]),
                         (False, "MISSING_REQUIRED_PROPERTY", name))
        self.assertEqual(e["errors"], [{"message": inner[0]["message"],
                                        "code": "MISSING_REQUIRED_PROPERTY",
                                        "context": {"propertyName": [name]}}])

    def test_required_properties_2026_09_only(self):
        cfg = self.sb.admin("POST", "config", {"required_properties": ["hs_meeting_outcome"]})
        self.assertEqual(cfg["config"]["required_properties"], ["hs_meeting_outcome"])
        v9 = "/crm/objects/2026-09/meetings/"
        st, _, body = self.sb.call("POST", v9 + "batch/create", {"inputs": [
            meeting("has", trace="1", hs_meeting_outcome="SCHEDULED"), meeting("lacks", trace="2"),
            meeting("empty", trace="3", hs_meeting_outcome="")]})
        self.assertEqual((st, body["numErrors"], len(body["results"])), (201, 2, 1))
        for e in body["errors"]:
            self.required_error(e)
        self.assertEqual(sorted(e["context"]["objectWriteTraceId"][0] for e in body["errors"]), ["2", "3"])
        mid = body["results"][0]["id"]
        # without trace ids: the whole request fails, nothing stored
        st, _, body = self.sb.call("POST", v9 + "batch/create", {"inputs": [
            meeting("ok", hs_meeting_outcome="SCHEDULED"), meeting("lacks")]})
        self.assertEqual(st, 400)
        self.required_error(body)
        self.assertNotIn("objectWriteTraceId", body.get("context", {}))
        st, _, body = self.sb.call("POST", v9[:-1], meeting("single"))
        self.assertEqual(st, 400)
        self.required_error(body)
        # an update that empties it fails; one that leaves it alone does not
        st, _, body = self.sb.call("POST", v9 + "batch/update", {"inputs": [
            {"id": mid, "properties": {"hs_meeting_outcome": ""}, "objectWriteTraceId": "u1"}]})
        self.assertEqual((st, body["numErrors"]), (200, 1))
        self.required_error(body["errors"][0])
        self.assertEqual(body["errors"][0]["context"]["objectWriteTraceId"], ["u1"])
        st, _, body = self.sb.call("PATCH", v9 + mid, {"properties": {"hs_meeting_outcome": ""}})
        self.assertEqual(st, 400)
        self.required_error(body)
        st, _, body = self.sb.call("POST", v9 + "batch/update", {"inputs": [
            {"id": mid, "properties": {"hs_meeting_title": "t2"}}]})
        self.assertEqual((st, body.get("numErrors")), (200, None))
        self.assertEqual([m["properties"]["hs_meeting_title"] for m in self.meetings()], ["t2"])
        # legacy and 2026-03 writes are not checked
        for path in (CREATE, "/crm/objects/2026-03/meetings/batch/create"):
            st, _, body = self.sb.call("POST", path, {"inputs": [meeting("lacks", trace="1")]})
            self.assertEqual(st, 201, path)
        # not a property definition member (HubSpot's Property has no "required")
        props = self.sb.call("GET", "/crm/properties/2026-09/meetings/hs_meeting_outcome")[2]
        self.assertNotIn("required", props)

    def test_enumeration_case_normalized_on_2026_09(self):
        v9 = "/crm/objects/2026-09/meetings/"
        st, _, body = self.sb.call("POST", v9 + "batch/create", {"inputs": [
            meeting("a", trace="1", hs_meeting_outcome="scheduled"), meeting("b", trace="2")]})
        self.assertEqual((st, body.get("numErrors")), (201, None))
        by_title = {r["properties"]["hs_meeting_title"]: r for r in body["results"]}
        self.assertEqual(by_title["a"]["properties"]["hs_meeting_outcome"], "SCHEDULED")
        w = by_title["a"]["warnings"]
        self.assertEqual(len(w), 1)
        self.assertEqual((w[0]["category"], w[0]["context"]), ("PROPERTY_VALUE_NORMALIZED",
                                                               {"propertyName": "hs_meeting_outcome"}))
        self.assertIn("scheduled", w[0]["message"])
        self.assertNotIn("warnings", by_title["b"])
        mid = by_title["a"]["id"]
        self.assertEqual(self.meetings()[0]["properties"]["hs_meeting_outcome"], "SCHEDULED")
        st, _, body = self.sb.call("POST", v9 + "batch/update", {"inputs": [
            {"id": mid, "properties": {"hs_meeting_outcome": "Canceled"}}]})
        self.assertEqual((st, body["results"][0]["properties"]["hs_meeting_outcome"]), (200, "CANCELED"))
        self.assertEqual(body["results"][0]["warnings"][0]["category"], "PROPERTY_VALUE_NORMALIZED")
        st, _, body = self.sb.call("PATCH", v9 + mid, {"properties": {"hs_meeting_outcome": "no_show"}})
        self.assertEqual((st, body["properties"]["hs_meeting_outcome"], len(body["warnings"])),
                         (200, "NO_SHOW", 1))
        st, _, body = self.sb.call("POST", v9 + "batch/create", {"inputs": [
            meeting("c", trace="1", hs_meeting_outcome="unheard-of")]})
        self.assertEqual((st, body["numErrors"]), (201, 1))
        self.assertIn("INVALID_OPTION", body["errors"][0]["message"])
        for path in (CREATE, "/crm/objects/2026-03/meetings/batch/create"):
            st, _, body = self.sb.call("POST", path, {"inputs": [
                meeting("d", trace="1", hs_meeting_outcome="scheduled")]})
            self.assertEqual((st, body["numErrors"]), (207, 1), path)
            self.assertIn("INVALID_OPTION", body["errors"][0]["message"])
            self.assertNotIn("warnings", json.dumps(body))

    def test_inline_association_to_a_missing_record(self):
        for version in (None,) + VERSIONS:
            st, _, body = self.v(version, "POST", CREATE, {"inputs": [
                meeting("ok", trace="1", assoc=[("101", 200)]),
                meeting("bad", trace="2", assoc=[("999", 200)])]})
            self.assertEqual(st, 201 if version == "2026-09" else 207, version)
            e = body["errors"][0]
            self.assertEqual((e["subCategory"], e["context"]["invalidToObjectIds"],
                              e["context"]["objectWriteTraceId"]),
                             ("crm.associations.INVALID_OBJECT_IDS", ["999"], ["2"]), version)

    def test_counting_by_version(self):
        self.create([meeting("a", trace="1")])
        self.sb.call("GET", "/crm/v3/owners?limit=1")
        self.sb.call("GET", "/crm/v3/owners?limit=2")
        self.sb.call("GET", "/crm/owners/2026-09?limit=1")
        self.sb.call("GET", "/crm/owners/2026-09/301")
        self.sb.call("GET", "/crm/owners/2026-09", token="wrong")  # a 401 is an API request too
        self.sb.call("GET", "/account-info/2026-03/details")
        self.sb.admin("GET", "meetings")  # the admin API is not
        st = self.stats()
        self.assertEqual(st["by_version"], {"legacy": 3, "2026-09": 3, "2026-03": 1})
        self.assertEqual(st["legacy_paths"], {"POST " + CREATE: 1, "GET /crm/v3/owners": 2})
        self.assertEqual(st["requests"], 7)
        reqs = self.sb.admin("GET", "requests")["requests"]
        self.assertEqual([r["version"] for r in reqs],
                         ["legacy", "legacy", "legacy", "2026-09", "2026-09", "2026-09", "2026-03"])
        with open(self.sb.log) as f:
            lines = [json.loads(x) for x in f if x.strip()]
        self.assertEqual([x["version"] for x in lines[-7:]], [r["version"] for r in reqs])
        self.assertTrue(all("version" in x for x in lines))
        self.sb.admin("POST", "reset")
        st = self.stats()
        self.assertEqual((st["by_version"], st["legacy_paths"]),
                         ({"legacy": 0, "2026-09": 0, "2026-03": 0}, {}))


class DateVersionOptionsTest(unittest.TestCase):
    def test_command_line_token_kind_and_required_property(self):
        sb = Sandbox("--token-kind", "private-app", "--require-property", "hs_meeting_outcome",
                     "--require-property", "hs_meeting_body")
        try:
            cfg = sb.admin("GET", "config")["config"]
            self.assertEqual((cfg["token_kind"], cfg["required_properties"]),
                             ("private-app", ["hs_meeting_outcome", "hs_meeting_body"]))
            st, _, _ = sb.call("POST", "/oauth/v2/private-apps/get/access-token-info",
                               {"tokenKey": TOKEN})
            self.assertEqual(st, 200)
            st, _, body = sb.call("POST", "/crm/objects/2026-09/meetings/batch/create",
                                  {"inputs": [meeting("a", trace="1", hs_meeting_body="b")]})
            self.assertEqual((st, body["numErrors"]), (201, 1))
            self.assertIn('"name":"hs_meeting_outcome"', body["errors"][0]["message"])
        finally:
            sb.stop()
        p = subprocess.run([sys.executable, SANDBOX, "--port", "0", "--token-kind", "oauth"],
                           capture_output=True, timeout=10)
        self.assertEqual(p.returncode, 2)


class RateLimitTest(unittest.TestCase):
    sb = None

    @classmethod
    def setUpClass(cls):
        cls.sb = Sandbox("--rate", "5/1s", "--search-rate", "2", "--token", "pat-na1-secret")

    @classmethod
    def tearDownClass(cls):
        cls.sb.stop()

    def call(self, *a, **kw):
        kw.setdefault("token", "pat-na1-secret")
        return self.sb.call(*a, **kw)

    def test_ten_secondly_rolling(self):
        time.sleep(1.05)
        got = [self.call("GET", "/crm/v3/owners") for _ in range(7)]
        self.assertEqual([g[0] for g in got], [200] * 5 + [429] * 2)
        self.assertEqual([g[1]["x-hubspot-ratelimit-remaining"] for g in got[:5]],
                         ["4", "3", "2", "1", "0"])
        self.assertEqual(got[0][1]["x-hubspot-ratelimit-max"], "5")
        self.assertEqual(got[0][1]["x-hubspot-ratelimit-interval-milliseconds"], "1000")
        self.assertIn("x-hubspot-ratelimit-daily-remaining", got[0][1])
        st, h, body = got[5]
        self.assertEqual(body["policyName"], "TEN_SECONDLY_ROLLING")
        self.assertEqual(body["message"], "You have reached your ten_secondly_rolling limit.")
        self.assertEqual(body["errorType"], "RATE_LIMIT")
        self.assertEqual(body["status"], "error")
        for k in ("correlationId", "requestId"):
            self.assertIn(k, body)
        time.sleep(1.05)  # 429s counted against nothing: a full window again
        got = [self.call("GET", "/crm/v3/owners")[0] for _ in range(6)]
        self.assertEqual(got, [200] * 5 + [429])
        log = open(self.sb.log).read()
        self.assertNotIn("pat-na1-secret", log)

    def test_search_secondly_and_daily(self):
        time.sleep(1.05)
        got = [self.call("POST", SEARCH, search_body([])) for _ in range(3)]
        self.assertEqual([g[0] for g in got], [200, 200, 429])
        self.assertEqual(got[2][2]["policyName"], "SECONDLY")
        self.assertEqual(got[2][2]["message"], "You have reached your secondly limit.")
        self.assertFalse([k for g in got for k in g[1] if k.startswith("x-hubspot-ratelimit")])
        used = self.sb.admin("GET", "stats")["daily_used"]
        self.sb.admin("POST", "config", {"daily": used + 1})
        time.sleep(1.05)
        self.assertEqual(self.call("GET", "/crm/v3/owners")[0], 200)
        st, h, body = self.call("GET", "/crm/v3/owners")
        self.assertEqual((st, body["policyName"], body["message"]),
                         (429, "DAILY", "You have reached your daily limit."))
        self.sb.admin("POST", "config", {"daily": 250000})


sys.path.insert(0, HERE)
import sandbox as sandbox_module  # noqa: E402

# A stand-in for an official OpenAPI document (strict mode), written here: it is stricter than our
# schema on purpose (every batch/archive input also needs "reason"), so a disagreement shows.
FAKE_OFFICIAL = {
    "openapi": "3.0.1",
    "paths": {"/crm/v3/objects/meetings/batch/archive": {"post": {"requestBody": {"content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/In"}}}}}}},
    "components": {"schemas": {"In": {"type": "object", "required": ["inputs"], "properties": {
        "inputs": {"type": "array", "items": {"type": "object", "required": ["id", "reason"]}}}}}},
}


class SchemasTest(unittest.TestCase):
    """Our own request schemas (tests/sandbox/schemas): no official spec needed."""

    def setUp(self):
        self.ops = sandbox_module.load_schemas()
        self.docs = {}
        for fname in os.listdir(sandbox_module.SCHEMAS_DIR):
            if fname.endswith(".json") and fname != "common.json":
                with open(os.path.join(sandbox_module.SCHEMAS_DIR, fname)) as f:
                    self.docs[fname] = json.load(f)

    def test_each_schema_cites_hubspot_docs_and_its_examples_validate(self):
        self.assertGreaterEqual(len(self.docs), 10)
        for fname, doc in self.docs.items():
            self.assertTrue(doc["docs"], fname)
            for url in doc["docs"]:
                self.assertRegex(url, r"^https://developers\.hubspot\.com/", fname)
            if "request" not in doc:
                continue
            self.assertTrue(doc.get("examples"), fname)
            for ex in doc["examples"]:
                op = self.ops.find(doc["operations"][0][0], ex["path"])
                self.assertIsNotNone(op, (fname, ex["path"]))
                self.assertEqual(op.source, fname, ex["path"])
                self.assertIsNone(sandbox_module.first_error(op.validator, ex["body"]),
                                  (fname, ex["path"]))

    def test_every_route_with_a_body_has_a_schema(self):
        api = sandbox_module.Api(None)
        samples = {"(meetings|contacts|companies|deals|tickets)": "meetings", "([^/]+)": "x"}
        for method, rx, _fn in api.routes:
            if method not in ("POST", "PATCH"):
                continue
            path = rx.pattern.strip("^$")
            for k, v in samples.items():
                path = path.replace(k, v)
            op = self.ops.find(method, path)
            self.assertTrue(op is not None and op.validator is not None, "%s %s" % (method, path))
            if path.startswith("/oauth/"):
                continue  # legacy only
            for version in VERSIONS:  # the same operation at its date-versioned paths
                dpath = dated(version, path)
                self.assertEqual(sandbox_module.path_version(dpath), (version, path))
                dop = self.ops.find(method, dpath)
                self.assertTrue(dop is not None and dop.source == op.source, "%s %s" % (method, dpath))
                self.assertEqual(dop.exempt_ten_secondly, op.exempt_ten_secondly, dpath)

    def test_the_schemas_hold_the_documented_requirements(self):
        create = self.ops.find("POST", CREATE)
        ok = meeting("a", trace="t", assoc=[("101", 200)])
        self.assertIsNone(sandbox_module.first_error(create.validator, {"inputs": [ok]}))
        for broken in ({"inputs": [{"properties": {"hs_timestamp": "1"}}]},           # associations
                       {"inputs": [{"properties": {"hs_timestamp": 1}, "associations": []}]},
                       {"inputs": [dict(ok, associations=[{"to": {"id": 101}, "types": []}])]}):
            self.assertIsNotNone(sandbox_module.first_error(create.validator, broken), broken)
        search = self.ops.find("POST", SEARCH)
        self.assertIsNotNone(sandbox_module.first_error(search.validator, {"filterGroups": []}))
        self.assertTrue(search.exempt_ten_secondly)
        self.assertTrue(self.ops.find("POST", "/crm/v4/associations/meetings/contacts/batch/create")
                        .exempt_ten_secondly)
        self.assertFalse(create.exempt_ten_secondly)


class StrictModeTest(unittest.TestCase):
    """--specs DIR: bodies are validated against our schemas and the given OpenAPI documents."""

    def test_strict_mode_reports_a_body_only_ours_accepts(self):
        d = tempfile.mkdtemp(prefix="sbstrict-")
        try:
            with open(os.path.join(d, "fake.json"), "w") as f:
                json.dump(FAKE_OFFICIAL, f)
            log = os.path.join(d, "conformance.jsonl")
            sb = Sandbox("--specs", d, "--conformance-log", log)
            try:
                archive = "/crm/v3/objects/meetings/batch/archive"
                st, _, body = sb.call("POST", archive, {"inputs": [{"id": "1"}]})
                self.assertEqual(st, 400)
                self.assertIn("'reason' is a required property", body["message"])
                st, _, _ = sb.call("POST", archive, {"inputs": [{"id": "1", "reason": "x"}]})
                self.assertEqual(st, 204)
                st, _, _ = sb.call("POST", CREATE, {"inputs": [meeting("a")]})
                self.assertEqual(st, 201)
            finally:
                sb.stop()
            with open(log) as f:
                entries = [json.loads(line) for line in f]
            self.assertEqual([(e["ours"], e["official"]) for e in entries],
                             [(True, False), (True, True), (True, None)])
            summary = os.path.join(HERE, "..", "conformance", "summary.py")
            p = subprocess.run([sys.executable, summary, log], capture_output=True, timeout=30)
            self.assertEqual(p.returncode, 1)
            self.assertIn(b"3 request bodies; 3 accepted by our schemas, 1 of them also by the "
                          b"official specs; 1 not covered; 1 problems", p.stdout)
            self.assertIn(b"NOT COVERED by the specs given (not checked): POST "
                          b"/crm/v3/objects/{objectType}/batch/create", p.stdout)
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_strict_mode_judges_a_dated_request_by_the_spec_of_its_version(self):
        """The 2026-09 specs of meetings, contacts and companies share their path templates
        (/crm/objects/2026-09/{objectType}/...): a meetings path is judged by the meetings one."""
        def spec(path, required):
            return {"openapi": "3.0.1", "paths": {path: {"post": {"requestBody": {"content": {
                "application/json": {"schema": {"type": "object", "required": required}}}}}}}}
        d = tempfile.mkdtemp(prefix="sbstrict-")
        try:
            tmpl = "/crm/objects/2026-09/{objectType}/batch/archive"
            for name, req in (("companies-2026-09.json", ["inputs"]),
                              ("meetings-2026-09.json", ["inputs", "reason"]),
                              ("meetings-v3.json", ["inputs"])):
                with open(os.path.join(d, name), "w") as f:
                    json.dump(spec(tmpl if "2026" in name else
                                   "/crm/v3/objects/meetings/batch/archive", req), f)
            log = os.path.join(d, "conformance.jsonl")
            sb = Sandbox("--specs", d, "--conformance-log", log)
            try:
                body = {"inputs": [{"id": "1"}]}
                st, _, err = sb.call("POST", "/crm/objects/2026-09/meetings/batch/archive", body)
                self.assertEqual(st, 400)
                self.assertIn("'reason' is a required property", err["message"])
                for path in ("/crm/objects/2026-09/companies/batch/archive",
                             "/crm/v3/objects/meetings/batch/archive",
                             "/crm/objects/2026-03/meetings/batch/archive"):
                    self.assertEqual(sb.call("POST", path, body)[0], 204, path)
            finally:
                sb.stop()
            with open(log) as f:
                entries = [json.loads(line) for line in f]
            judged = [(e["official"], (e["official_op"] or "").split(" (")[-1]) for e in entries]
            self.assertEqual(judged,
                             [(False, "meetings-2026-09.json)"), (True, "companies-2026-09.json)"),
                              (True, "meetings-v3.json)"), (None, "")])
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_conformance_log_needs_strict_mode(self):
        p = subprocess.run([sys.executable, SANDBOX, "--port", "0", "--conformance-log", "/dev/null"],
                           env=dict(os.environ, SANDBOX_SPECS_DIR=""), capture_output=True,
                           timeout=10)
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"needs --specs", p.stderr)


class SpecsDirTest(unittest.TestCase):
    def test_bad_specs_dir_is_a_clear_error(self):
        env = dict(os.environ, SANDBOX_SPECS_DIR="/nonexistent/specs")
        p = subprocess.run([sys.executable, SANDBOX, "--port", "0"], env=env, capture_output=True,
                           timeout=10)
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"cannot load the HubSpot specs", p.stderr)

    def test_help(self):
        p = subprocess.run([sys.executable, SANDBOX, "--help"], capture_output=True, timeout=10)
        self.assertEqual(p.returncode, 0)
        for flag in (b"--port-file", b"--rate", b"--daily", b"--search-rate", b"--latency-ms",
                     b"--seed", b"--log", b"--no-shuffle", b"--echo-trace-ids", b"/_sandbox/faults",
                     b"--token-kind", b"--require-property", b"2026-09", b"by_version"):
            self.assertIn(flag, p.stdout)


def main():
    t0 = time.time()
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    print("(%.1fs)" % (time.time() - t0))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
