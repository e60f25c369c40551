/**
 * The viewer's own script, run in the page: it decodes the embedded images, starts NiiVue, draws the
 * controls and the crosshair readout, and publishes `globalThis.spimfetchViewers[id]`, the API tests and
 * users script against. Plain ES2020 as a string: it runs in notebook frontends and exported pages as is.
 *
 * @module
 */

/** The script: defines `globalThis.spimfetchViewer.start(id)` once per page. */
export const VIEWER_APP_SCRIPT = String.raw`
(function () {
  if (globalThis.spimfetchViewer) return;
  var viewers = (globalThis.spimfetchViewers = globalThis.spimfetchViewers || {});
  function decode(text) {
    text = text.replace(/\s+/g, "");
    if (Uint8Array.fromBase64) return Uint8Array.fromBase64(text);
    var s = atob(text);
    var out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  function fmt(v) {
    if (!isFinite(v)) return String(v);
    return Math.abs(v) >= 1000 || Number.isInteger(v) ? String(Math.round(v * 100) / 100) : v.toPrecision(4);
  }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  // NiiVue's getValue and vox2mm index its RAS-reoriented grid; users and files index the native one
  // (x fastest, as written), so the viewer reads through the header's own affine.
  function nativeWorld(vol, i, j, k) {
    var a = vol.hdr.affine;
    return [0, 1, 2].map(function (r) { return a[r][0] * i + a[r][1] * j + a[r][2] * k + a[r][3]; });
  }
  function nativeVoxel(vol, mm) {
    var a = vol.hdr.affine;
    var m = [[a[0][0], a[0][1], a[0][2]], [a[1][0], a[1][1], a[1][2]], [a[2][0], a[2][1], a[2][2]]];
    var d = [mm[0] - a[0][3], mm[1] - a[1][3], mm[2] - a[2][3]];
    var det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
      m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    function col(c) {
      var n = m.map(function (row, r) { return row.map(function (v, j) { return j === c ? d[r] : v; }); });
      return (n[0][0] * (n[1][1] * n[2][2] - n[1][2] * n[2][1]) - n[0][1] * (n[1][0] * n[2][2] - n[1][2] * n[2][0]) +
        n[0][2] * (n[1][0] * n[2][1] - n[1][1] * n[2][0])) / det;
    }
    return [Math.round(col(0)), Math.round(col(1)), Math.round(col(2))];
  }
  function nativeValue(vol, i, j, k) {
    var n = vol.hdr.dims;
    if (i < 0 || j < 0 || k < 0 || i >= n[1] || j >= n[2] || k >= n[3]) return NaN;
    var v = vol.img[i + n[1] * (j + n[2] * k)];
    var s = vol.hdr.scl_slope;
    return s && isFinite(s) && s !== 1 ? v * s + vol.hdr.scl_inter : v;
  }
  async function start(id) {
    var root = document.getElementById(id);
    var config = JSON.parse(document.getElementById(id + "-config").textContent);
    var api = { id: id, state: "loading", error: null, config: config };
    viewers[id] = api;
    var why = root.querySelector(".sfv-why");
    var wrap = root.querySelector(".sfv-view");
    try {
      var probe = document.createElement("canvas").getContext("webgl2");
      if (!probe) {
        why.textContent = "WebGL2 is not available in this browser, so the static projections are shown instead.";
        api.state = root.dataset.state = "fallback";
        return api;
      }
      var NV = globalThis.spimfetchNiivue;
      if (!NV) throw new Error("NiiVue's script did not run");
      why.textContent = "Starting the viewer…";
      wrap.style.display = "";
      var canvas = wrap.querySelector("canvas");
      var nv = new NV.Niivue({
        backColor: [0, 0, 0, 1],
        show3Dcrosshair: true,
        crosshairColor: [1, 0.25, 0.25, 1],
        dragAndDropEnabled: false,
        isColorbar: false,
        loadingText: "",
        multiplanarShowRender: NV.SHOW_RENDER.ALWAYS,
        isOrientationTextVisible: true,
        // Markers show on a 2-D slice only near it (NiiVue's default draws every marker on every slice).
        meshThicknessOn2D: 2 * config.markerSize,
      });
      api.nv = nv;
      await nv.attachToCanvas(canvas);
      for (var i = 0; i < config.volumes.length; i++) {
        var v = config.volumes[i];
        var bytes = decode(document.getElementById(v.dataId).textContent);
        var image = await NV.NVImage.loadFromUrl({
          url: bytes,
          name: "image" + i + ".nii.gz",
          colormap: v.colormap,
          opacity: v.opacity,
          cal_min: v.calMin,
          cal_max: v.calMax,
          trustCalMinMax: true,
        });
        nv.addVolume(image);
      }
      nv.setSliceType(nv.sliceTypeMultiplanar);
      if (config.points.length) {
        nv.loadConnectome({
          name: "points",
          nodeColormap: "warm",
          nodeColormapNegative: "winter",
          nodeMinColor: 0,
          nodeMaxColor: 1,
          nodeScale: config.markerSize,
          edgeColormap: "warm",
          edgeColormapNegative: "winter",
          edgeMin: 0,
          edgeMax: 1,
          edgeScale: 1,
          showLegend: false,
          nodes: config.points.map(function (p) {
            return { name: p.name, x: p.ras[0], y: p.ras[1], z: p.ras[2], colorValue: 1, sizeValue: 1 };
          }),
          edges: [],
        });
      }
      var status = root.querySelector(".sfv-status");
      function readout(mm) {
        var base = nv.volumes[0];
        var vox = nativeVoxel(base, mm);
        var out = { ras: [mm[0], mm[1], mm[2]], voxel: vox, value: nativeValue(base, vox[0], vox[1], vox[2]) };
        if (config.labelVolume >= 0 && nv.volumes[config.labelVolume]) {
          var lv = nv.volumes[config.labelVolume];
          var lvox = nativeVoxel(lv, mm);
          var id = nativeValue(lv, lvox[0], lvox[1], lvox[2]);
          out.labelId = id;
          out.label = config.labels[String(id)] || (id ? "label " + id : "outside the annotation");
        }
        return out;
      }
      function show(mm) {
        var r = readout(mm);
        var text = "R " + fmt(r.ras[0]) + "  A " + fmt(r.ras[1]) + "  S " + fmt(r.ras[2]) + " mm (RAS)  ·  voxel (" +
          r.voxel.join(", ") + ")  ·  value " + fmt(r.value);
        if (r.label !== undefined) text += "  ·  " + r.label;
        status.textContent = text;
        return r;
      }
      nv.onLocationChange = function (data) {
        show(data.mm);
      };
      // Controls: colormap, contrast window, overlay opacity, layout.
      var bar = root.querySelector(".sfv-bar");
      var base = nv.volumes[0];
      var cmap = el("select", { title: "colormap", class: "sfv-cmap" });
      ["gray", "hot", "viridis", "inferno", "plasma", "warm", "cool", "green", "red", "blue"].forEach(function (c) {
        var o = el("option", { value: c }, c);
        if (c === base.colormap) o.selected = true;
        cmap.appendChild(o);
      });
      cmap.onchange = function () {
        base.colormap = cmap.value;
        nv.updateGLVolume();
      };
      var lo = el("input", { type: "number", step: "any", title: "black at", class: "sfv-min" });
      var hi = el("input", { type: "number", step: "any", title: "white at", class: "sfv-max" });
      lo.value = fmt(base.cal_min);
      hi.value = fmt(base.cal_max);
      function window() {
        base.cal_min = Number(lo.value);
        base.cal_max = Number(hi.value);
        nv.updateGLVolume();
      }
      lo.onchange = hi.onchange = window;
      var auto = el("button", { type: "button", title: "contrast from the 1st and 99.5th percentiles" }, "auto");
      auto.onclick = function () {
        lo.value = fmt(config.volumes[0].calMin);
        hi.value = fmt(config.volumes[0].calMax);
        window();
      };
      var layout = el("select", { title: "layout", class: "sfv-layout" });
      [["multiplanar", "slices + 3-D"], ["axial", "axial"], ["coronal", "coronal"], ["sagittal", "sagittal"],
        ["render", "3-D"]].forEach(function (pair) {
        layout.appendChild(el("option", { value: pair[0] }, pair[1]));
      });
      layout.onchange = function () {
        api.setLayout(layout.value);
      };
      bar.append(el("label", {}, "colormap "), cmap, el("label", {}, " window "), lo, hi, auto,
        el("label", {}, " layout "), layout);
      if (nv.volumes.length > 1) {
        var op = el("input", { type: "range", min: "0", max: "1", step: "0.05", class: "sfv-opacity" });
        op.value = String(nv.volumes[1].opacity);
        op.oninput = function () {
          for (var k = 1; k < nv.volumes.length; k++) nv.setOpacity(k, Number(op.value));
        };
        bar.append(el("label", {}, " overlay "), op);
      }
      root.querySelector(".sfv-fallback").style.display = "none";
      api.setLayout = function (name) {
        var types = { multiplanar: nv.sliceTypeMultiplanar, axial: nv.sliceTypeAxial, coronal: nv.sliceTypeCoronal,
          sagittal: nv.sliceTypeSagittal, render: nv.sliceTypeRender };
        nv.setSliceType(types[name]);
        nv.drawScene();
      };
      api.info = function () {
        return {
          volumes: nv.volumes.map(function (vol, index) {
            var d = vol.hdr.dims.slice(1, 4);
            var corners = [];
            for (var c = 0; c < 8; c++) {
              corners.push(nativeWorld(vol, c & 1 ? d[0] - 1 : 0, c & 2 ? d[1] - 1 : 0, c & 4 ? d[2] - 1 : 0));
            }
            return {
              name: config.volumes[index].name,
              dims: d,
              worldMin: [0, 1, 2].map(function (a) { return Math.min.apply(null, corners.map(function (p) { return p[a]; })); }),
              worldMax: [0, 1, 2].map(function (a) { return Math.max.apply(null, corners.map(function (p) { return p[a]; })); }),
              calMin: vol.cal_min,
              calMax: vol.cal_max,
              opacity: vol.opacity,
              colormap: vol.colormap,
            };
          }),
          markers: nv.meshes.reduce(function (n, m) { return n + (m.nodes ? m.nodes.length || 0 : 0); }, 0),
          labels: Object.keys(config.labels).length,
        };
      };
      api.valueAt = function (i, j, k, volume) {
        return nativeValue(nv.volumes[volume || 0], i, j, k);
      };
      api.worldAt = function (i, j, k, volume) {
        return nativeWorld(nv.volumes[volume || 0], i, j, k);
      };
      api.moveTo = function (ras) {
        nv.scene.crosshairPos = nv.mm2frac([ras[0], ras[1], ras[2]]);
        nv.drawScene();
        return show(ras);
      };
      api.canvasPointOf = function (ras) {
        var pos = nv.frac2canvasPos(nv.mm2frac([ras[0], ras[1], ras[2]]));
        return pos && [pos[0], pos[1]];
      };
      api.readout = readout;
      api.setOpacity = function (volume, opacity) {
        nv.setOpacity(volume, opacity);
        nv.drawScene();
      };
      api.showMarkers = function (visible) {
        nv.meshes.forEach(function (m) { m.visible = visible; });
        nv.drawScene();
      };
      nv.drawScene();
      why.textContent = "";
      show(nv.frac2mm(nv.scene.crosshairPos));
      api.state = root.dataset.state = "ready";
      root.dispatchEvent(new CustomEvent("spimfetch-viewer-ready", { bubbles: true }));
    } catch (error) {
      api.state = root.dataset.state = "error";
      api.error = String(error && error.stack || error);
      why.textContent = "The viewer failed (" + String(error && error.message || error) +
        "), so the static projections are shown instead.";
      wrap.style.display = "none";
      root.querySelector(".sfv-fallback").style.display = "";
    }
    return api;
  }
  globalThis.spimfetchViewer = { start: start };
})();
`;
