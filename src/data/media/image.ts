/**
 * Images to the model's square RGB input through sharp (libvips): PNG, JPEG,
 * WebP, and whatever else the installed libvips reads (GIF, TIFF, AVIF, …).
 *
 * Pipeline: EXIF auto-orientation → alpha composited onto white (a
 * transparent document background becomes paper, not black) → sRGB (grey
 * images become 3 equal channels) → resize to size×size → raw 8-bit RGB →
 * float CHW planes in [0, 1]. Normalisation (ImageNet/CLIP statistics)
 * happens inside the model graph, not here.
 *
 * Fit (`ImageFit`): 'cover' (default) scales the shorter side to `size` and
 * centre-crops the longer one, keeping the aspect ratio (the CLIP / torchvision
 * Resize+CenterCrop recipe); 'fill' stretches to size×size without cropping;
 * 'contain' letterboxes onto white. Resampling kernel: sharp's default,
 * Lanczos-3.
 */
import sharp, { type Sharp } from 'sharp';

export type ImageFit = 'cover' | 'fill' | 'contain';

export interface ImageOptions {
  /** How a non-square image becomes square (default 'cover'). */
  fit?: ImageFit;
}

const WHITE = { r: 255, g: 255, b: 255 };

/** Interleaved 8-bit RGB [H, W, 3] → float planes [3, H, W] in [0, 1]. */
export function rgbToChw(rgb: Uint8Array, height: number, width: number): Float32Array {
  const hw = height * width;
  const out = new Float32Array(3 * hw); // [3, H, W]
  for (let i = 0; i < hw; i++) {
    out[i] = rgb[3 * i] / 255;
    out[hw + i] = rgb[3 * i + 1] / 255;
    out[2 * hw + i] = rgb[3 * i + 2] / 255;
  }
  return out;
}

function checkSize(size: number): void {
  if (!Number.isInteger(size) || size <= 0) throw new Error(`image size must be a positive integer, got ${size}`);
}

/** The shared resize: `input` (an encoded image or raw RGB) → raw RGB size×size. */
async function toSquareRgb(img: Sharp, size: number, fit: ImageFit): Promise<Buffer> {
  const { data, info } = await img
    .rotate()
    .flatten({ background: WHITE })
    .toColourspace('srgb')
    .resize(size, size, { fit, position: 'centre', background: WHITE })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== size || info.height !== size) {
    throw new Error(`expected ${size}×${size}×3 pixels, got ${info.width}×${info.height}×${info.channels}`);
  }
  return data;
}

/** Loads an image file as [3, size, size] float RGB in [0, 1]. An unreadable or undecodable file is an error naming it. */
export async function loadImage(file: string, size: number, o: ImageOptions = {}): Promise<Float32Array> {
  checkSize(size);
  let rgb: Buffer;
  try {
    rgb = await toSquareRgb(sharp(file, { failOn: 'error' }), size, o.fit ?? 'cover');
  } catch (e) {
    throw new Error(`cannot decode image ${file}: ${(e as Error).message}`);
  }
  return rgbToChw(rgb, size, size); // [3, size, size]
}

/** Decodes encoded image bytes (e.g. a base64 upload) as [3, size, size] float RGB in [0, 1]. */
export async function decodeImageBytes(bytes: Uint8Array, size: number, o: ImageOptions & { name?: string } = {}): Promise<Float32Array> {
  checkSize(size);
  let rgb: Buffer;
  try {
    rgb = await toSquareRgb(sharp(bytes, { failOn: 'error' }), size, o.fit ?? 'cover');
  } catch (e) {
    throw new Error(`cannot decode image ${o.name ?? '<image bytes>'}: ${(e as Error).message}`);
  }
  return rgbToChw(rgb, size, size); // [3, size, size]
}

/** Resizes raw interleaved RGB [height, width, 3] to [3, size, size] float in [0, 1] (used for video frames). */
export async function resizeRgb(rgb: Uint8Array, width: number, height: number, size: number, fit: ImageFit = 'cover'): Promise<Float32Array> {
  checkSize(size);
  if (width === size && height === size) return rgbToChw(rgb, size, size);
  const out = await toSquareRgb(sharp(rgb, { raw: { width, height, channels: 3 } }), size, fit);
  return rgbToChw(out, size, size); // [3, size, size]
}
