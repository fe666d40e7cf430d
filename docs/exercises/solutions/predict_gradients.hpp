// Reference solution of docs/exercises/predict_gradients.cpp. With s = a + b = 5, p = s·b = 10,
// L = p·c: dL/dc = p = 10; dL/dp = c = −1; dL/ds = dL/dp·b = −2, which gives a −2;
// b gets dL/dp·s = −5 through p and dL/ds·1 = −2 through s: −7.
constexpr float kdLda = -2;
constexpr float kdLdb = -7;
constexpr float kdLdc = 10;
