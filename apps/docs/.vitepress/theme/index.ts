// The walkjump docs theme: VitePress's default theme plus the live demos (client-only Vue
// components; the tfjs code they run is loaded on mount, never during server-side rendering).
import type { Theme } from 'vitepress';
import DefaultTheme from 'vitepress/theme';
import { defineAsyncComponent } from 'vue';
import RepLink from './RepLink.vue';
import './style.css';

export default {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    app.component('RepLink', RepLink);
    app.component(
      'DeenDemo',
      defineAsyncComponent(() => import('./demos/DeenDemo.vue')),
    );
    app.component(
      'SphereDemo',
      defineAsyncComponent(() => import('./demos/SphereDemo.vue')),
    );
    app.component(
      'DigitsDemo',
      defineAsyncComponent(() => import('./demos/DigitsDemo.vue')),
    );
  },
} satisfies Theme;
