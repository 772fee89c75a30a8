// Cells of the ranking tables that are more than text.
var dagcomponentfuncs = (window.dashAgGridComponentFunctions =
    window.dashAgGridComponentFunctions || {});

// A unit's name as a real link: it opens in a new tab (ctrl, cmd or middle click) and its
// address can be copied. A plain click stays in the page: the grid's cell click drills,
// keeping the page mounted, so the link's own navigation is cancelled; a modified click
// is kept from the grid, so that only the new tab opens.
function keepLinkClicks(anchor) {
    if (!anchor || anchor.dataset.unitLink) { return; }
    anchor.dataset.unitLink = "1";
    anchor.addEventListener("click", function (event) {
        if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) {
            event.stopPropagation();
        } else {
            event.preventDefault();
        }
    });
}

dagcomponentfuncs.UnitLink = function (props) {
    var href = props.data && props.data.href;
    if (!href) { return props.value; }
    return React.createElement("a", {href: href, className: "unit-link", ref: keepLinkClicks},
                               props.value);
};
