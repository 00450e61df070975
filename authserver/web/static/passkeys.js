// Passkey ceremonies on the hosted pages: the one place they need JavaScript.
//
// No framework and no inline script (the pages' CSP allows scripts from this origin
// only). A form marked data-passkey="register" | "login" | "factor" carries
// data-options-url; on submit this script fetches the WebAuthn options as JSON from the
// server (the CSRF token goes along as a form field), calls navigator.credentials
// create/get, puts the browser's answer as JSON into the form's "credential" field and
// submits the form normally, so the server's answer (a redirect or a page) is followed
// like any other form's. The messages it shows come from the form's data-text-*
// attributes (templates/passkey_texts.html), rendered in the page's language; the
// English here is only for a form without them.
(function () {
  "use strict";

  var FALLBACK = {
    cancelled: "The passkey request was cancelled or timed out. Try again.",
    failed: "The passkey could not be used.",
    refused: "The server refused the passkey request. Reload the page and try again.",
    unsupported: "This browser cannot use passkeys."
  };

  function text(form, name) {
    var key = "text" + name.charAt(0).toUpperCase() + name.slice(1);
    return form.dataset[key] || FALLBACK[name];
  }

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }

  function toText(buffer) {
    if (!buffer) { return null; }
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return { type: item.type, id: toBytes(item.id), transports: item.transports };
    });
  }

  function creationOptions(options) {
    options.challenge = toBytes(options.challenge);
    options.user.id = toBytes(options.user.id);
    options.excludeCredentials = descriptors(options.excludeCredentials);
    return options;
  }

  function requestOptions(options) {
    options.challenge = toBytes(options.challenge);
    options.allowCredentials = descriptors(options.allowCredentials);
    return options;
  }

  function credentialJSON(credential) {
    var response = credential.response;
    var out = {
      id: credential.id, rawId: toText(credential.rawId), type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toText(response.clientDataJSON) }
    };
    if (response.attestationObject) {
      out.response.attestationObject = toText(response.attestationObject);
      out.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      out.response.authenticatorData = toText(response.authenticatorData);
      out.response.signature = toText(response.signature);
      out.response.userHandle = toText(response.userHandle);
    }
    return out;
  }

  function fetchOptions(form) {
    var body = new URLSearchParams();
    body.set("csrf_token", form.elements.csrf_token.value);
    body.set("mode", form.dataset.passkey);
    return fetch(form.dataset.optionsUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (answer) {
      return answer.json().then(function (json) {
        if (!answer.ok) { throw new Error(json.error || text(form, "refused")); }
        return json;
      });
    });
  }

  function ceremony(form, options) {
    if (form.dataset.passkey === "register") {
      return navigator.credentials.create({ publicKey: creationOptions(options) });
    }
    return navigator.credentials.get({ publicKey: requestOptions(options) });
  }

  function showError(form, message) {
    var slot = form.querySelector("[data-passkey-error]");
    if (slot) { slot.textContent = message; slot.hidden = false; }
  }

  function start(form, event) {
    event.preventDefault();
    if (form.dataset.busy) { return; }
    form.dataset.busy = "1";
    fetchOptions(form).then(function (options) {
      return ceremony(form, options);
    }).then(function (credential) {
      form.elements.credential.value = JSON.stringify(credentialJSON(credential));
      form.submit();
    }).catch(function (error) {
      delete form.dataset.busy;
      var cancelled = error && (error.name === "NotAllowedError" || error.name === "AbortError");
      showError(form, cancelled ? text(form, "cancelled")
        : (error && error.message) || text(form, "failed"));
    });
  }

  function setUp() {
    var supported = !!(window.PublicKeyCredential && navigator.credentials);
    document.querySelectorAll("form[data-passkey]").forEach(function (form) {
      var needs = form.querySelector("[data-passkey-needs-js]");
      if (!supported) {
        if (needs) { needs.textContent = text(form, "unsupported"); }
        return;
      }
      if (needs) { needs.hidden = true; }
      form.querySelectorAll("[data-passkey-start]").forEach(function (button) {
        button.hidden = false;
      });
      form.addEventListener("submit", function (event) { start(form, event); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
