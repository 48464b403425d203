// The post page's comment field when answering a comment (templates/pages/post.html,
// [data-reply-field]): the server fills it with "@name " and focuses it; the caret goes
// after the name, where the answer is typed (browsers put it at the start).

export function enhanceReplyField(root) {
  const field = root.querySelector?.("input[data-reply-field]");
  if (!field || field.dataset.enhanced) return;
  field.dataset.enhanced = "1";
  field.focus();
  field.setSelectionRange(field.value.length, field.value.length);
}
