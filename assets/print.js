// Printing a page: each chart is redrawn at the width its card has on paper, and the
// ranking prints as a plain table of every row, in the grid's order and formats (a grid
// only draws the rows in view); afterwards the screen is as it was.
// The browser fires "beforeprint" for Ctrl+P, the "Imprimer" button and PDF output alike,
// and lays the page out for paper right after it, so everything here is synchronous.
(function () {
  var sized = [];

  function gridApi() {
    var grid = document.getElementById("children-grid");
    if (!grid || !window.dash_ag_grid || !window.dash_ag_grid.getApi) { return null; }
    try { return window.dash_ag_grid.getApi("children-grid"); } catch (error) { return null; }
  }

  window.addEventListener("beforeprint", function () {
    var root = document.documentElement;
    root.classList.add("print-sizing");
    var plots = Array.prototype.slice.call(document.querySelectorAll(".js-plotly-plot"));
    var sizes = plots.map(function (plot) {
      var frame = plot.parentElement;
      return {plot: plot, width: frame.clientWidth, height: plot.clientHeight};
    });
    root.classList.remove("print-sizing");
    sized = [];
    sizes.forEach(function (size) {
      if (!size.width || !window.Plotly) { return; }
      window.Plotly.relayout(size.plot, {width: size.width, height: size.height});
      sized.push(size.plot);
    });
    var api = gridApi();
    if (api) { printTable(api); }
  });

  function cell(tag, text, className) {
    var element = document.createElement(tag);
    element.textContent = text === null || text === undefined ? "" : String(text);
    if (className) { element.className = className; }
    return element;
  }

  function row(api, node, columns) {
    var line = document.createElement("tr");
    columns.forEach(function (column) {
      var numeric = (column.getColDef().type || "") === "numericColumn";
      line.appendChild(cell("td", api.getCellValue({rowNode: node, colKey: column,
                                                     useFormatter: true}),
                            numeric ? "number" : ""));
    });
    return line;
  }

  // The ranking as it is on screen: its columns, its rows sorted and filtered, then the
  // reference rows; the grid hides for print and the table shows in its place.
  function printTable(api) {
    var columns = api.getAllDisplayedColumns();
    var table = document.createElement("table");
    table.className = "print-ranking";
    var head = document.createElement("thead");
    var titles = document.createElement("tr");
    columns.forEach(function (column) {
      var numeric = (column.getColDef().type || "") === "numericColumn";
      titles.appendChild(cell("th", column.getColDef().headerName, numeric ? "number" : ""));
    });
    head.appendChild(titles);
    table.appendChild(head);
    var body = document.createElement("tbody");
    api.forEachNodeAfterFilterAndSort(function (node) {
      body.appendChild(row(api, node, columns));
    });
    for (var i = 0; i < api.getPinnedBottomRowCount(); i++) {
      var reference = row(api, api.getPinnedBottomRow(i), columns);
      reference.className = "reference";
      body.appendChild(reference);
    }
    table.appendChild(body);
    document.getElementById("children-grid").after(table);
  }

  window.addEventListener("afterprint", function () {
    sized.forEach(function (plot) {
      window.Plotly.relayout(plot, {width: null, height: null, autosize: true});
      window.Plotly.Plots.resize(plot);
    });
    sized = [];
    document.querySelectorAll(".print-ranking").forEach(function (table) { table.remove(); });
  });
})();
