// The status page of one tenant: its extensions' BLF states and the callers waiting in its
// queues, polled with JSONP from the ProxyAPI with a widget token (never a production key:
// the manual says not to put one in browser-side scripts). The page is given its tenant and
// token in the URL fragment, which the browser never sends to a server:
//   /widget/status#tenant=CODE&token=sbw_…[&every=SECONDS]
// Everything the API answers is shown as text (textContent), never as markup.
(function () {
  "use strict";
  var API = "../pbx/proxyapi.php";
  var args = new URLSearchParams(location.hash.replace(/^#/, ""));
  var tenant = args.get("tenant") || "";
  var token = args.get("token") || "";
  var every = Math.min(300, Math.max(2, parseInt(args.get("every") || "5", 10) || 5));
  // JSONP callbacks live here; their names are ours, made of identifier characters only.
  var pending = (window.sbWidget = {});
  var seq = 0;
  var rounds = 0;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = String(text);
    return e;
  }

  function setStatus(text, isError) {
    var s = document.getElementById("status");
    s.textContent = text;
    s.className = isError ? "status error" : "status";
  }

  // One JSONP read: done(data) with the answer, or done(null) when it did not come.
  function jsonp(query, done) {
    var name = "r" + ++seq;
    var script = document.createElement("script");
    var timer = setTimeout(function () { finish(null); }, 10000);
    function finish(data) {
      if (!pending[name]) return;
      clearTimeout(timer);
      delete pending[name];
      script.remove();
      done(data);
    }
    pending[name] = finish;
    script.onerror = function () { finish(null); };
    // Loaded without calling back (not a JSONP answer): nothing came.
    script.onload = function () { finish(null); };
    var q = new URLSearchParams(query);
    q.set("tenant", tenant);
    q.set("key", token);
    q.set("format", "json");
    q.set("callback", "sbWidget." + name);
    script.src = API + "?" + q.toString();
    document.head.appendChild(script);
  }

  // The answer's rows: live answers name the nodes that did not answer beside them.
  function rows(data) {
    if (data && !Array.isArray(data) && data.rows !== undefined) return data.rows;
    return data;
  }

  function failure(data) {
    // An auth failure is upstream's plain text in every format, which a script tag cannot
    // read: it looks like no answer.
    if (data === null) return "no answer: the server is unreachable or refused the token (expired, or another tenant's)";
    if (data && data.Response === "Error") return data.Message || "error";
    return "";
  }

  function stateClass(state) {
    return "state-" + String(state).toLowerCase().replace(/[^a-z0-9]+/g, "-");
  }

  function showBlf(list) {
    var ul = document.getElementById("blf");
    ul.replaceChildren();
    (list || []).forEach(function (r) {
      var li = el("li", stateClass(r.st_state));
      li.dataset.ext = r.st_extension;
      li.dataset.state = r.st_state;
      li.appendChild(el("span", "ext", r.st_extension));
      li.appendChild(el("span", "state", r.st_state));
      ul.appendChild(li);
    });
  }

  function clock(seconds) {
    var s = parseInt(seconds, 10) || 0;
    var m = Math.floor(s / 60);
    s = s % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function showQueues(names, callers) {
    var box = document.getElementById("queues");
    box.replaceChildren();
    Object.keys(names || {}).forEach(function (id) {
      var mine = (callers || []).filter(function (c) { return c.qu_id === id; });
      var div = el("div", "queue");
      div.dataset.queue = id;
      div.dataset.waiting = String(mine.length);
      var h = el("h3", "", names[id]);
      h.appendChild(el("span", "waiting", mine.length + " waiting"));
      div.appendChild(h);
      var ul = el("ul", "callers");
      mine.forEach(function (c) {
        var li = el("li", "caller");
        li.dataset.position = c.position;
        var who = c.calleridnum + (c.calleridname ? " " + c.calleridname : "");
        li.appendChild(el("span", "who", c.position + ". " + who));
        li.appendChild(el("span", "wait", clock(c.wait)));
        ul.appendChild(li);
      });
      div.appendChild(ul);
      box.appendChild(div);
    });
  }

  function poll() {
    var got = {};
    var left = 3;
    function one(key) {
      return function (data) {
        got[key] = data;
        if (--left === 0) show();
      };
    }
    function show() {
      var problem = failure(got.blf) || failure(got.names) || failure(got.callers);
      rounds += 1;
      document.body.dataset.rounds = String(rounds);
      if (problem) {
        setStatus(problem, true);
      } else {
        showBlf(rows(got.blf));
        showQueues(got.names, rows(got.callers));
        var missing = (got.blf && got.blf.missing_nodes) || [];
        setStatus("Updated " + new Date().toLocaleTimeString() +
          (missing.length ? " (no answer from " + missing.join(", ") + ")" : ""), false);
      }
      setTimeout(poll, every * 1000);
    }
    jsonp({ reqtype: "BLFS" }, one("blf"));
    jsonp({ reqtype: "INFO", info: "queues" }, one("names"));
    jsonp({ reqtype: "INFO", info: "queuecallers" }, one("callers"));
  }

  if (!tenant || !token) {
    setStatus("This page needs #tenant=CODE&token=… (a widget token) in its address.", true);
    document.body.dataset.rounds = "0";
    return;
  }
  poll();
})();
