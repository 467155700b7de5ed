// Small writes to the options page's controls that every section makes.

/** Sets text only when it changes, so live regions do not repeat themselves. */
export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

function option(value, label, { disabled = false } = {}) {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = label;
  if (disabled) o.disabled = true;
  return o;
}

/** Replaces a select's options with `choices` ({value, label, disabled?}) and selects `value`. */
export function fillSelect(select, choices, value) {
  select.textContent = '';
  for (const c of choices) select.append(option(c.value, c.label, c));
  select.value = value;
}
