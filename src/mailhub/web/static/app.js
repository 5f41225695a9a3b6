// mailhub web UI: a few lines instead of htmx. Forms marked data-swap are sent with fetch and the page's
// <main> is replaced by the answer's; the 新建 form detects the provider when the address changes; pages
// marked data-live refresh their [data-refresh] regions when the server sends an event (EventSource).
"use strict";

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

function swapFrom(html, selectors) {
  const doc = new DOMParser().parseFromString(html, "text/html");
  for (const selector of selectors) {
    const fresh = doc.querySelector(selector);
    const current = document.querySelector(selector);
    if (fresh && current) current.replaceWith(document.adoptNode(fresh));
  }
  const title = doc.querySelector("title");
  if (title && selectors.includes("#main")) document.title = title.textContent;
}

async function submitSwapped(form, submitter) {
  const data = new FormData(form);
  if (submitter && submitter.name) data.append(submitter.name, submitter.value);
  const buttons = form.querySelectorAll("button");
  buttons.forEach((b) => (b.disabled = true));
  const pending = form.querySelector(".pending");
  if (pending && !(submitter && submitter.value === "detect")) pending.hidden = false;
  try {
    // getAttribute: a control named "action" (our submit buttons) shadows form.action in the DOM.
    const response = await fetch(form.getAttribute("action") || location.pathname, {
      method: "POST", body: data, headers: { "X-CSRF-Token": csrfToken() }, credentials: "same-origin",
    });
    const html = await response.text();
    if (!/<main id="main"/.test(html)) throw new Error("not a page: " + response.status);
    if (response.redirected) history.pushState({}, "", response.url);
    swapFrom(html, ["#main"]);
    bind(document);
  } catch (error) {
    buttons.forEach((b) => (b.disabled = false));
    form.submit();  // the network failed under us: fall back to a plain submit
  }
}

async function detect(input) {
  const address = input.value.trim();
  if (!address.includes("@")) return;
  const url = input.dataset.detect + "?email=" + encodeURIComponent(address);
  const response = await fetch(url, { credentials: "same-origin" });
  swapFrom(await response.text(), ["#detected", "#steps", "#password-kind"]);
}

function bind(root) {
  root.querySelectorAll("form[data-swap]").forEach((form) => {
    if (form.dataset.bound) return;
    form.dataset.bound = "1";
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submitSwapped(form, event.submitter);
    });
  });
  root.querySelectorAll("input[data-detect]").forEach((input) => {
    if (input.dataset.bound) return;
    input.dataset.bound = "1";
    input.addEventListener("change", () => detect(input));
  });
}

async function refreshRegions() {
  for (const region of document.querySelectorAll("[data-refresh]")) {
    const response = await fetch(region.dataset.refresh, { credentials: "same-origin" });
    if (!response.ok) continue;
    const html = await response.text();
    if (region.id === "accounts-table") {
      region.innerHTML = html;
    } else {
      swapFrom(html, ["#" + region.id]);
    }
  }
  bind(document);
}

function listen() {
  if (!document.body.dataset.live || !window.EventSource) return;
  const source = new EventSource("/events/stream");
  for (const kind of ["account.status", "account.deleted", "mail.new", "mail.flags", "mail.expunged",
                      "outbox.queued", "outbox.sending", "outbox.sent", "outbox.failed", "outbox.held"]) {
    source.addEventListener(kind, refreshRegions);
  }
  window.addEventListener("beforeunload", () => source.close());
}

document.addEventListener("DOMContentLoaded", () => {
  bind(document);
  listen();
});
