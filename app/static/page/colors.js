// A stable colour per person, from their id alone: the same on every page and every visit.
// Each colour is dark enough for white text at WCAG AA (contrast >= 4.5:1).

const cache = new Map();

function hash(text) {
  let value = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    value ^= text.charCodeAt(i);
    value = Math.imul(value, 0x01000193) >>> 0;
  }
  return value;
}

function rgb(hue, saturation, lightness) {
  const a = saturation * Math.min(lightness, 1 - lightness);
  const f = (n) => {
    const k = (n + hue / 30) % 12;
    return lightness - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
  };
  return [f(0), f(8), f(4)];
}

function luminance([r, g, b]) {
  const lin = (c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** Contrast ratio of white on the colour. */
export function contrastWithWhite(channels) {
  return 1.05 / (luminance(channels) + 0.05);
}

// Ids are opaque, but when one decodes to "Type:number" consecutive people are spread round
// the colour wheel by the golden angle, so people listed together rarely look alike; any
// other id falls back to a hash. Either way the colour depends on the id alone.
function seed(id) {
  try {
    const match = /:(\d+)$/.exec(atob(id));
    if (match) return { hue: (Number(match[1]) * 137.508) % 360, shade: Number(match[1]) % 3 };
  } catch {
    // not base64: hash it
  }
  const value = hash(String(id));
  return { hue: value % 360, shade: (value >>> 9) % 3 };
}

/** The person's colour as "rgb(r g b)". */
export function personColor(id) {
  let color = cache.get(id);
  if (color) return color;
  const { hue, shade } = seed(String(id));
  const saturation = [0.75, 0.6, 0.9][shade];
  let lightness = [0.46, 0.36, 0.3][shade];
  let channels = rgb(hue, saturation, lightness);
  while (contrastWithWhite(channels) < 4.8 && lightness > 0.1) {
    lightness -= 0.02;
    channels = rgb(hue, saturation, lightness);
  }
  color = `rgb(${channels.map((c) => Math.round(c * 255)).join(" ")})`;
  cache.set(id, color);
  return color;
}
