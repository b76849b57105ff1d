// Starts Swagger UI on fithub's /docs page (kept out of the HTML so the page needs no inline script).
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    layout: "BaseLayout",
    presets: [SwaggerUIBundle.presets.apis],
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null // never ask validator.swagger.io: the page works offline
  });
})();
