/* Marks a page shown inside another (the F2 palette) before it is drawn; loaded without defer on purpose. */
if (window.self !== window.top) document.documentElement.classList.add("embedded");
