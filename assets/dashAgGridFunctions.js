// Number formats of the ranking tables, written the French way (12 345 ; 4,7 %).
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});
var NO_DATA = "\u2014";
var frNumber = new Intl.NumberFormat("fr-FR", {maximumFractionDigits: 0});
var frOne = new Intl.NumberFormat("fr-FR", {minimumFractionDigits: 1, maximumFractionDigits: 1});
var frTwo = new Intl.NumberFormat("fr-FR", {minimumFractionDigits: 2, maximumFractionDigits: 2});

function missing(v) { return v === null || v === undefined || Number.isNaN(v); }
function signed(v, text) {
    var shown = Math.round(v * 1000);  // one decimal of a percentage
    return (shown > 0 ? "+" : shown < 0 ? "\u2212" : "\u00b1") + text;
}

dagfuncs.frCount = function (v) { return missing(v) ? NO_DATA : frNumber.format(v); };
dagfuncs.frRate = function (v) { return missing(v) ? NO_DATA : frOne.format(v * 100) + "\u00a0%"; };
dagfuncs.frScore = function (v) { return missing(v) ? NO_DATA : frTwo.format(v); };
dagfuncs.frPoints = function (v) {
    return missing(v) ? NO_DATA : signed(v, frOne.format(Math.abs(v) * 100) + "\u00a0pt");
};
dagfuncs.frPercentChange = function (v) {
    return missing(v) ? NO_DATA : signed(v, frOne.format(Math.abs(v) * 100) + "\u00a0%");
};
// A value hidden by small-cell suppression is null; its row carries the mark to show
// ("< 5" or "secret") in <field>_mark.
dagfuncs.frMarked = function (params, format) {
    var mark = params.data && params.data[params.colDef.field + "_mark"];
    return mark ? mark : dagfuncs[format](params.value);
};
// Sorting a ranking: rows with no value ("—") or a hidden one ("secret", "< 5") stay
// below every number whichever the direction (the grid reverses the comparator's answer
// when it sorts downwards, so the answer for a missing value is reversed too).
dagfuncs.missingLast = function (a, b, nodeA, nodeB, isDescending) {
    var noA = missing(a), noB = missing(b);
    if (noA && noB) { return 0; }
    if (noA) { return isDescending ? -1 : 1; }
    if (noB) { return isDescending ? 1 : -1; }
    return a - b;
};
// Names sort without accents or case, so "École" comes among the E (panels/ranking.py,
// name_key, orders data files and the briefing the same way); ties keep the ranking order.
function nameKey(name) {
    return (name || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}
dagfuncs.nameOrder = function (a, b) {
    var keyA = nameKey(a), keyB = nameKey(b);
    return keyA < keyB ? -1 : keyA > keyB ? 1 : 0;
};
