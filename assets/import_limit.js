// A pasted workflow import larger than the server accepts is refused here, before it is sent:
// a paste of several megabytes would otherwise close the page's websocket without a word.
// The field carries its limit (data-max-chars); the message next to it is shown or hidden.
document.addEventListener(
  "submit",
  (event) => {
    const field = event.target && event.target.querySelector && event.target.querySelector("[data-max-chars]");
    if (!field) return;
    const tooLarge = field.value.length > Number(field.dataset.maxChars);
    const note = document.getElementById(field.dataset.tooLarge);
    if (note) note.style.display = tooLarge ? "block" : "none";
    if (tooLarge) {
      event.preventDefault();
      event.stopPropagation(); // React listens further down: the paste never reaches the server
    }
  },
  true,
);
