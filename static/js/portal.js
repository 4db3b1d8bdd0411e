/* Says to the style sheet that scripts run (html.js): what only makes sense with them
   (".js-only", e.g. "vérification en direct en cours…") is shown then, hidden otherwise.
   Loaded first, without defer, so nothing flickers. */
document.documentElement.classList.add("js");
