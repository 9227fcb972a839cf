// A photo made ready on the phone: turned upright as the camera says, made smaller (longest side at most the limit),
// and written again as a JPEG by the browser's canvas, which carries none of the camera's metadata (device, owner,
// time, place). The server does the same to whatever it is sent; doing it here keeps what travels small.
export async function shrink(file, longestSide) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    return null;
  }
  const scale = Math.min(1, longestSide / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  canvas.getContext('2d').drawImage(bitmap, 0, 0, width, height);
  bitmap.close?.();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.85));
  return blob ? { blob, width, height } : null;
}
