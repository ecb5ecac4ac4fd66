// The QR code of a share link, as an SVG element (drawn locally: the link never leaves the page).
import qrcode from 'qrcode-generator';

export function qrSvg(text: string): SVGElement {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  const template = document.createElement('template');
  template.innerHTML = qr.createSvgTag({ cellSize: 4, margin: 2, scalable: true });
  const svg = template.content.firstElementChild as SVGElement;
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'QR code of the link');
  return svg;
}
