package io.logwire.tls;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.math.BigInteger;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * Makes X.509 certificates with Bouncy Castle: a self-signed server certificate, a local CA,
 * and server or client certificates signed by that CA (the tutorial's openssl steps). Keys
 * are EC P-256, signatures SHA256withECDSA.
 */
public final class CertificateGenerator {
    /** Validity of generated certificates. */
    public static final Duration DEFAULT_VALIDITY = Duration.ofDays(825);

    private static final SecureRandom RANDOM = new SecureRandom();

    private CertificateGenerator() {
    }

    /** A certificate and its private key. */
    public record Issued(X509Certificate certificate, PrivateKey privateKey) {
    }

    /** A new EC P-256 key pair. */
    public static KeyPair newKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("EC P-256 key generation unavailable", e);
        }
    }

    /** A self-signed server certificate for {@code subjectAltNames} (DNS names or IP literals). */
    public static Issued selfSignedServer(String commonName, Collection<String> subjectAltNames, Duration validity) {
        KeyPair kp = newKeyPair();
        X500Name name = new X500Name("CN=" + escape(commonName));
        X509Certificate cert = build(name, kp, name, kp.getPrivate(), subjectAltNames, false, true, false, validity);
        return new Issued(cert, kp.getPrivate());
    }

    /** A local certificate authority. */
    public static Issued certificateAuthority(String commonName, Duration validity) {
        KeyPair kp = newKeyPair();
        X500Name name = new X500Name("CN=" + escape(commonName));
        X509Certificate cert = build(name, kp, name, kp.getPrivate(), List.of(), true, false, false, validity);
        return new Issued(cert, kp.getPrivate());
    }

    /** A server certificate signed by {@code ca}. */
    public static Issued signedServer(Issued ca, String commonName, Collection<String> subjectAltNames,
                                      Duration validity) {
        KeyPair kp = newKeyPair();
        X509Certificate cert = build(new X500Name("CN=" + escape(commonName)), kp,
                X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded()), ca.privateKey(),
                subjectAltNames, false, true, false, validity);
        return new Issued(cert, kp.getPrivate());
    }

    /** A client certificate (for mutual TLS) signed by {@code ca}. */
    public static Issued signedClient(Issued ca, String commonName, Duration validity) {
        KeyPair kp = newKeyPair();
        X509Certificate cert = build(new X500Name("CN=" + escape(commonName)), kp,
                X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded()), ca.privateKey(),
                List.of(), false, false, true, validity);
        return new Issued(cert, kp.getPrivate());
    }

    /** The names a generated server certificate covers by default, plus {@code extra}. */
    public static List<String> defaultServerNames(Collection<String> extra) {
        LinkedHashSet<String> names = new LinkedHashSet<>(List.of("localhost", "127.0.0.1", "::1"));
        try {
            names.add(InetAddress.getLocalHost().getHostName());
        } catch (java.io.IOException e) {
            // No resolvable host name: the loopback names still work.
        }
        names.addAll(extra);
        return new ArrayList<>(names);
    }

    private static X509Certificate build(X500Name subject, KeyPair subjectKeys, X500Name issuer, PrivateKey issuerKey,
                                         Collection<String> sans, boolean ca, boolean serverAuth, boolean clientAuth,
                                         Duration validity) {
        try {
            Instant now = Instant.now();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, new BigInteger(127, RANDOM),
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(validity)), subject,
                    subjectKeys.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKeys.getPublic()));
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            if (ca) {
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            } else {
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
                List<KeyPurposeId> purposes = new ArrayList<>();
                if (serverAuth) {
                    purposes.add(KeyPurposeId.id_kp_serverAuth);
                }
                if (clientAuth) {
                    purposes.add(KeyPurposeId.id_kp_clientAuth);
                }
                b.addExtension(Extension.extendedKeyUsage, false,
                        new ExtendedKeyUsage(purposes.toArray(KeyPurposeId[]::new)));
            }
            if (!sans.isEmpty()) {
                GeneralName[] names = sans.stream().map(CertificateGenerator::generalName).toArray(GeneralName[]::new);
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
            }
            return new JcaX509CertificateConverter().setProvider(new BouncyCastleProvider())
                    .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
        } catch (GeneralSecurityException | OperatorCreationException | java.io.IOException e) {
            throw new IllegalStateException("certificate generation failed: " + e.getMessage(), e);
        }
    }

    private static GeneralName generalName(String san) {
        return isIpLiteral(san) ? new GeneralName(GeneralName.iPAddress, san) : new GeneralName(GeneralName.dNSName, san);
    }

    static boolean isIpLiteral(String s) {
        return s.contains(":") || s.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    }

    private static String escape(String cn) {
        return cn.replace("\\", "\\\\").replace(",", "\\,").replace("+", "\\+").replace("=", "\\=");
    }
}
