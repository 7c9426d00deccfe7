// Yours: written once by fastsocket-gen, never overwritten.
import { createApp } from "vue";
import App from "./App.vue";

createApp(App).mount("#app");
