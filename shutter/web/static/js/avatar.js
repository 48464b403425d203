// Square profile pictures. Markup (templates/pages/edit_profile.html): a file input
// [data-avatar-crop] and a preview [data-avatar-preview]. A chosen picture is cropped
// to its centred square on a canvas (at most 800 px) and put back in the input as a
// JPEG, so the form uploads the square the preview shows. The media service squares
// whatever arrives anyway, so without scripts the result is the same crop.

const SIZE = 800;

async function square(file) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  const side = Math.min(bitmap.width, bitmap.height);
  const out = Math.min(side, SIZE);
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = out;
  canvas.getContext("2d").drawImage(
    bitmap, (bitmap.width - side) / 2, (bitmap.height - side) / 2, side, side, 0, 0, out, out,
  );
  bitmap.close();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.9));
  return new File([blob], "avatar.jpg", { type: "image/jpeg" });
}

export function enhanceAvatarCrop(root) {
  for (const input of root.querySelectorAll("input[data-avatar-crop]")) {
    if (input.dataset.enhanced) continue;
    input.dataset.enhanced = "1";
    const preview = input.form?.querySelector("[data-avatar-preview]");
    input.addEventListener("change", async () => {
      const [file] = input.files;
      if (!file) return;
      try {
        const cropped = await square(file);
        const transfer = new DataTransfer();
        transfer.items.add(cropped);
        input.files = transfer.files; // sets no `change` of its own
        if (preview) preview.src = URL.createObjectURL(cropped);
      } catch {
        // A picture the browser cannot decode (HEIC on some systems): sent as chosen,
        // the server crops it or says why it cannot.
        if (preview) preview.src = URL.createObjectURL(file);
      }
    });
  }
}
