package main

// printedNarrowHead goes into the <head> of each printable HTML document
// (the work plan, the extension request, the annual report), after its
// Content-Security-Policy and before its own style: on a screen as narrow
// as a phone's (390 px) the document keeps to the screen's width. Its wide
// tables scroll sideways inside their own box rather than the page, and a
// long word or ID breaks. Printing is untouched (screen only). The
// selectors outrank the document's own (html …), which come later.
const printedNarrowHead = `<meta name="viewport" content="width=device-width, initial-scale=1">
<style>html body{overflow-wrap:anywhere}html th,html td{overflow-wrap:normal}
@media screen and (max-width:700px){html body{margin:.6em}html table{display:block;max-width:100%;overflow-x:auto}}</style>`
