// A data table's cells that name a subnet, hotkey, Sahara validator or contributor are markdown links to
// its page ("[3](/bittensor/subnet/3)", see dashboards/entities.py). The table's CSV export must hold the
// plain id, as the warehouse does. The export (SheetJS, inside Dash's DataTable) hands its file to a global
// `saveAs(blob, filename)` when one is defined, as it does for FileSaver.js: this one turns each entity
// link of a CSV back into its text, then downloads the file as the export would have.
(function () {
  "use strict";
  if (typeof window.saveAs !== "undefined") {
    return;
  }
  var ENTITY_LINK =
    /\[([^\[\]()]*)\]\((?:[^()\s]*\/)?(?:bittensor\/subnet|bittensor\/hotkey|sahara\/validator|sahara\/contributor)\/[^()\s]*\)/g;

  function download(blob, filename) {
    var url = URL.createObjectURL(blob);
    var anchor = document.createElement("a");
    anchor.href = url;
    anchor.download = filename;
    document.body.appendChild(anchor);
    anchor.click();
    document.body.removeChild(anchor);
    setTimeout(function () {
      URL.revokeObjectURL(url);
    }, 60000);
  }

  window.saveAs = function (blob, filename) {
    if (!/\.csv$/i.test(filename || "")) {
      download(blob, filename);
      return;
    }
    blob.arrayBuffer().then(function (buffer) {
      // ignoreBOM keeps a byte-order mark, so the file's bytes change only where a link was.
      var text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(buffer);
      download(new Blob([text.replace(ENTITY_LINK, "$1")], { type: blob.type }), filename);
    });
  };
})();
