export const later = "loaded lazily";
