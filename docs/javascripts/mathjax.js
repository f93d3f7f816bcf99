// MathJax renders the pages' formulas (pymdownx.arithmatex writes them as \( \) and \[ \]).
// MathJax itself comes from a CDN; offline the formulas stay readable as TeX, and nothing
// here may fail when it is missing.
window.MathJax = {
  tex: {inlineMath: [["\\(", "\\)"]], displayMath: [["\\[", "\\]"]],
        processEscapes: true, processEnvironments: true},
  options: {ignoreHtmlClass: ".*|", processHtmlClass: "arithmatex"}
};

document$.subscribe(function () {
  if (window.MathJax && window.MathJax.typesetPromise) {  // loaded (not offline)
    MathJax.startup.output.clearCache();
    MathJax.typesetClear();
    MathJax.texReset();
    MathJax.typesetPromise();
  }
});
