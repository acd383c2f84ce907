/* Staff lookup page: reads /api/staff/... and shows it. Everything is put in the page as text (textContent). */
(function () {
  "use strict";
  var MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"];
  var GONE = "Verwijs hier niet meer naar.";
  var money = new Intl.NumberFormat("nl-NL", { style: "currency", currency: "EUR", maximumFractionDigits: 0 });
  var number = new Intl.NumberFormat("nl-NL", { maximumFractionDigits: 2 });

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined || c === "") return;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }
  function link(url, label) {
    if (!/^https?:\/\//i.test(url || "")) return label || url || "";
    return el("a", { href: url, rel: "noopener noreferrer", text: label || url });
  }
  function dateNl(v) {
    if (!v) return "";
    var p = String(v).split("-");
    if (p.length === 3 && MONTHS[+p[1] - 1]) return +p[2] + " " + MONTHS[+p[1] - 1] + " " + p[0];
    if (p.length === 2 && MONTHS[+p[1] - 1]) return MONTHS[+p[1] - 1] + " " + p[0];
    return String(v);
  }
  function site(url) {
    try { return new URL(url).hostname.replace(/^www\./, ""); } catch (e) { return url; }
  }
  function sourceNode(s) {
    var parts = [];
    if (s.local) parts.push("gegevens van uw bibliotheek");
    if (s.section) parts.push("handreiking, " + s.section);
    if (s.note) parts.push(s.note);
    var span = el("span", {}, [parts.join("; ")]);
    if (s.url) {
      if (parts.length) span.appendChild(document.createTextNode("; "));
      span.appendChild(link(s.url, site(s.url)));
    }
    if (s.date) span.appendChild(document.createTextNode(" (" + dateNl(s.date) + ")"));
    return span;
  }
  function list(items) { return (items || []).length ? el("ul", {}, items.map(function (i) { return el("li", { text: i }); })) : null; }
  function dl(pairs) {
    var d = el("dl");
    pairs.forEach(function (p) {
      if (p[1] === null || p[1] === undefined || p[1] === "") return;
      d.appendChild(el("dt", { text: p[0] }));
      d.appendChild(el("dd", {}, [p[1]]));
    });
    return d;
  }
  function table(caption, columns, rows, rowClass) {
    var head = el("tr", {}, columns.map(function (c) { return el("th", { scope: "col", text: c[0] }); }));
    var body = rows.map(function (r) {
      var tr = el("tr", rowClass ? { "class": rowClass(r) || "" } : {});
      columns.forEach(function (c) {
        var v = c[1](r);
        tr.appendChild(el("td", c[2] ? { "class": c[2] } : {}, [v === null || v === undefined ? "" : v]));
      });
      return tr;
    });
    return el("div", { "class": "table-wrap", role: "region", "aria-label": caption, tabindex: "0" }, [
      el("table", {}, [el("caption", { text: caption }), el("thead", {}, [head]), el("tbody", {}, body)])
    ]);
  }
  function fill(id, nodes) {
    var box = $(id);
    box.textContent = "";
    box.classList.remove("load");
    [].concat(nodes).forEach(function (n) { if (n) box.appendChild(typeof n === "string" ? el("p", { text: n }) : n); });
  }
  function loggedOut(id) {
    fill(id, el("p", { "class": "error" }, ["U bent niet meer ingelogd. ", el("a", { href: "/staff/login", text: "Log opnieuw in" }), "."]));
  }
  function get(path, id) {
    return fetch(path, { headers: { Accept: "application/json" }, credentials: "same-origin" }).then(function (r) {
      if (r.status === 401) {
        loggedOut(id);
        throw new Error("niet ingelogd");
      }
      return r.json().then(function (data) {
        if (!r.ok) throw new Error(data.error || "fout " + r.status);
        return data;
      }).catch(function (e) {
        fill(id, el("p", { "class": "error", text: "Kan dit niet laden: " + e.message }));
        throw e;
      });
    }, function (e) {
      fill(id, el("p", { "class": "error", text: "Kan dit niet laden: " + e.message }));
      throw e;
    });
  }

  // -- schemes --------------------------------------------------------------------------------
  function scheme(s) {
    return el("article", { "class": "card" }, [
      el("h3", { text: s.name }),
      el("p", { text: s.summary }),
      dl([
        ["Totaal", money.format(s.total_eur)],
        ["Besloten", [dateNl(s.decided_on), s.decided_by].filter(Boolean).join(", ")],
        ["Aangekondigd", [dateNl(s.announced_on), s.announced_in].filter(Boolean).join(", ")],
        ["Start", s.starts],
        ["Loopt tot", s.runs_until],
        ["Voor wie", (s.target_groups || []).join(", ")],
        ["Doel", s.purpose],
        ["Hoe het geld loopt", s.channel],
        ["Hoe doet de bieb mee", s.how_to_join],
        ["Meer informatie", s.link ? link(s.link) : null],
        ["Details", list(s.details)],
        ["Bron", sourceNode(s.source)]
      ]),
      s.parts.length ? table("Onderdelen van " + s.name, [
        ["Onderdeel", function (p) { return p.name; }],
        ["Bedrag", function (p) { return money.format(p.amount_eur); }, "num"],
        ["Via", function (p) { return p.channel; }],
        ["Doel", function (p) { return p.purpose; }],
        ["Beschikbaar vanaf", function (p) { return dateNl(p.available_from); }],
        ["Opmerking", function (p) { return p.note; }]
      ], s.parts) : el("p", { "class": "muted", text: "Geen onderdelen bekend." })
    ]);
  }

  // -- programmes -----------------------------------------------------------------------------
  function programme(p) {
    return el("details", { "class": "card" }, [
      el("summary", { text: p.name + " (" + p.kind + ")" }),
      el("p", { text: p.summary }),
      dl([
        ["Hoort bij", p.part_of],
        ["Voor wie", p.audience],
        ["Kosten", p.cost],
        ["Hoe doe je mee", p.how_to_join],
        ["Links", p.links.length ? el("span", {}, p.links.map(function (u) { return el("span", {}, [link(u), " "]); })) : null],
        ["Bron", sourceNode(p.source)]
      ])
    ]);
  }

  // -- figures --------------------------------------------------------------------------------
  function value(f) {
    var v = number.format(f.value) + (f.value_max !== null ? " tot " + number.format(f.value_max) : "");
    return [f.qualifier, v, f.unit].filter(Boolean).join(" ");
  }
  function when(f) {
    return [f.year, f.period, f.as_of ? "peildatum " + dateNl(f.as_of) : ""].filter(Boolean).join(", ");
  }
  function showFigures(data) {
    var n = data.figures.length;
    $("figure-count").textContent = data.query
      ? n + (n === 1 ? " cijfer past" : " cijfers passen") + " bij ‘" + data.query + "’, best passend eerst."
      : "Alle " + n + " cijfers.";
    fill("figures", n ? table("Tabel met cijfers", [
      ["Onderwerp", function (f) { return f.subject + (f.about ? " (" + f.about + ")" : ""); }],
      ["Waarde", value],
      ["Wanneer", when],
      ["Zo staat het in de bron", function (f) { return f.phrasing; }],
      ["Bron", function (f) { return sourceNode(f.source); }]
    ], data.figures) : el("p", { text: "Geen cijfer gevonden. Probeer andere woorden." }));
  }

  // -- IDO desks ------------------------------------------------------------------------------
  function badge(status) {
    var label = el("span", { "class": "badge status-" + status, text: status });
    return status === "vervallen" ? el("span", {}, [label, el("br"), GONE]) : label;
  }
  function showDesks(data) {
    var n = data.desks.length;
    var msg;
    if (!data.query) msg = "Alle " + n + " balies, op plaatsnaam.";
    else if (data.place) msg = n + " balies het dichtst bij " + data.place + (data.municipality ? " (gemeente " + data.municipality + ")" : "") + ", dichtstbij eerst.";
    else msg = n ? n + " balies in ‘" + data.query + "’." : "De plaats ‘" + data.query + "’ ken ik niet, en er is daar geen balie bekend.";
    $("ido-count").textContent = msg;
    var columns = [
      ["Plaats", function (d) { return d.place + (d.municipality && d.municipality !== d.place ? " (gemeente " + d.municipality + ")" : ""); }],
      ["Status", function (d) { return badge(d.status); }],
      ["Bibliotheek", function (d) { return [d.library, d.branch].filter(Boolean).join(", "); }],
      ["Open en adres", function (d) {
        return [d.opening_info, d.address, d.phone ? "tel. " + d.phone : "", d.opened_on ? "geopend " + dateNl(d.opened_on) : ""].filter(Boolean).join("; ") || "niet bekend";
      }],
      ["Opmerking", function (d) { return d.note; }],
      ["Bron", function (d) { return sourceNode(d.source); }]
    ];
    if (data.place) columns.splice(1, 0, ["Afstand", function (d) { return d.distance_km === null ? "" : number.format(d.distance_km) + " km"; }, "num"]);
    fill("desks", n ? table("IDO-balies", columns, data.desks, function (d) { return d.status === "vervallen" ? "gone" : ""; }) : null);
  }

  // -- feedback -------------------------------------------------------------------------------
  function showFeedback(data) {
    fill("down", data.down.length ? table("Antwoorden met een duim omlaag", [
      ["Wanneer (UTC)", function (e) { return e.created_at; }],
      ["Vraag", function (e) { return e.question; }],
      ["Antwoord", function (e) { return e.answer; }]
    ], data.down) : "Nog geen antwoorden met een duim omlaag.");
    fill("fallbacks", data.fallbacks.length ? table("Vragen zonder antwoord", [
      ["Wanneer (UTC)", function (e) { return e.created_at; }],
      ["Vraag", function (e) { return e.question; }]
    ], data.fallbacks) : "Nog geen vragen zonder antwoord.");
  }

  function start() {
    get("/api/staff/info", "schemes").then(function (i) {
      $("info").textContent = "Kennisbank gebouwd op " + String(i.built_at || "").replace("T", " om ") + ".";
    }).catch(function () {});
    get("/api/staff/schemes", "schemes").then(function (d) { fill("schemes", d.schemes.map(scheme)); }).catch(function () {});
    get("/api/staff/programmes", "programmes").then(function (d) { fill("programmes", d.programmes.map(programme)); }).catch(function () {});
    get("/api/staff/figures", "figures").then(showFigures).catch(function () {});
    get("/api/staff/ido", "desks").then(showDesks).catch(function () {});
    get("/api/staff/feedback", "down").then(showFeedback).catch(function () {});
    $("figure-form").addEventListener("submit", function (e) {
      e.preventDefault();
      get("/api/staff/figures?q=" + encodeURIComponent($("q").value), "figures").then(showFigures).catch(function () {});
    });
    $("ido-form").addEventListener("submit", function (e) {
      e.preventDefault();
      get("/api/staff/ido?place=" + encodeURIComponent($("place").value), "desks").then(showDesks).catch(function () {});
    });
  }
  start();
})();
