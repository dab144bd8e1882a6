export default {
  scheduled() {},
};
